// The stand-in clients (test/lab/standin): their flag parsing here with python3, and the nine wrappers on a
// real lab host, started as systemd services and queried over HTTP from this process.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlagReference } from '../../src/clients/types.js';
import { startLab, type Lab, type LabHost } from './lab.js';
import { STANDIN_CLIENTS, STANDIN_DIR, installStandins, standinBinary, type StandinClient } from './standin/install.js';

const SLOT = 7;
const here = dirname(fileURLToPath(import.meta.url));
const STANDIN = join(here, 'standin', 'standin.py');
const REAL_REFERENCES = join(here, '..', '..', 'src', 'clients', 'flags');
const CONSENSUS = new Set<StandinClient>(['lighthouse', 'prysm', 'teku', 'nimbus', 'lodestar']);
/** The subcommand each client needs to run a node (the others run without one). */
const RUN_SUBCOMMAND: Partial<Record<StandinClient, string>> = { lighthouse: 'bn', lodestar: 'beacon' };
/** Switches that turn the API on in the real clients: the lab test passes one where the reference has it. */
const API_SWITCHES = ['--http', '--rest', '--rest-api-enabled', '--rpc-http-enabled', '--accept-terms-of-use'];

type Row = [flag: string, takesValue: boolean, role?: FlagReference['role']];
// Small references of real flags: the unit tests' fixtures, and the lab's until src/clients/flags/<client>.json exists.
const FALLBACK: Record<StandinClient, { version: string; rows: Row[] }> = {
  lighthouse: { version: 'v7.0.1', rows: [['--datadir', true, 'datadir'], ['--network', true], ['--http', false], ['--http-address', true, 'http-address'], ['--http-port', true, 'http-port'], ['--execution-endpoint', true], ['--execution-jwt', true, 'jwt'], ['--port', true, 'p2p-port']] },
  prysm: { version: 'v6.0.0', rows: [['--datadir', true, 'datadir'], ['--accept-terms-of-use', false], ['--http-host', true, 'http-address'], ['--http-port', true, 'http-port'], ['--execution-endpoint', true], ['--jwt-secret', true, 'jwt']] },
  teku: { version: '25.4.1', rows: [['--data-path', true, 'datadir'], ['--network', true], ['--rest-api-enabled', false], ['--rest-api-interface', true, 'http-address'], ['--rest-api-port', true, 'http-port'], ['--ee-endpoint', true], ['--ee-jwt-secret-file', true, 'jwt']] },
  nimbus: { version: 'v25.4.0', rows: [['--data-dir', true, 'datadir'], ['--network', true], ['--trusted-node-url', true], ['--rest', false], ['--rest-address', true, 'http-address'], ['--rest-port', true, 'http-port'], ['--el', true], ['--jwt-secret', true, 'jwt']] },
  lodestar: { version: 'v1.29.0', rows: [['--dataDir', true, 'datadir'], ['--network', true], ['--rest', false], ['--rest.address', true, 'http-address'], ['--rest.port', true, 'http-port'], ['--execution.urls', true], ['--jwt-secret', true, 'jwt']] },
  geth: { version: 'v1.15.10', rows: [['--datadir', true, 'datadir'], ['--networkid', true], ['--sepolia', false], ['--http', false], ['--http.addr', true, 'http-address'], ['--http.port', true, 'http-port'], ['--authrpc.port', true, 'engine-port'], ['--authrpc.jwtsecret', true, 'jwt']] },
  nethermind: { version: '1.31.9', rows: [['--data-dir', true, 'datadir'], ['--config', true], ['--JsonRpc.Enabled', true], ['--Init.ChainSpecPath', true], ['--JsonRpc.Host', true, 'http-address'], ['--JsonRpc.Port', true, 'http-port'], ['--JsonRpc.JwtSecretFile', true, 'jwt']] },
  besu: { version: '25.4.1', rows: [['--data-path', true, 'datadir'], ['--network', true], ['--network-id', true], ['--genesis-file', true], ['--rpc-http-enabled', false], ['--rpc-http-host', true, 'http-address'], ['--rpc-http-port', true, 'http-port'], ['--engine-jwt-secret', true, 'jwt']] },
  erigon: { version: 'v3.0.2', rows: [['--datadir', true, 'datadir'], ['--chain', true], ['--networkid', true], ['--http', false], ['--http.addr', true, 'http-address'], ['--http.port', true, 'http-port'], ['--authrpc.jwtsecret', true, 'jwt']] },
};

function fallbackReference(client: StandinClient): FlagReference[] {
  const { version, rows } = FALLBACK[client];
  return rows.map(([flag, takesValue, role]) => ({ flag, version, source: 'test/lab/standin.test.ts (fallback)', takesValue, ...(role ? { role } : {}) }));
}

/** A dir of references: the real one where src/clients/flags has it, else the fallback. */
function referenceDir(useReal: boolean): { dir: string; real: StandinClient[] } {
  const dir = mkdtempSync(join(tmpdir(), 'nodeform-standin-refs-'));
  const real: StandinClient[] = [];
  for (const client of STANDIN_CLIENTS) {
    const source = join(REAL_REFERENCES, `${client}.json`);
    if (useReal && existsSync(source)) {
      copyFileSync(source, join(dir, `${client}.json`));
      real.push(client);
    } else {
      writeFileSync(join(dir, `${client}.json`), JSON.stringify(fallbackReference(client), null, 2));
    }
  }
  return { dir, real };
}

/** The version line a reference implies: its most common version, without a leading v. */
function referenceVersion(rows: FlagReference[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.version, (counts.get(r.version) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '0.0.0';
  return top.replace(/^v/, '');
}

interface Run { code: number; stdout: string; stderr: string }

function python(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile('python3', [STANDIN, ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

interface Parsed {
  action: string;
  subcommand: string | null;
  genesis: string | null;
  flags: [string, string | null][];
  http: { address: string; port: number };
  datadir: string;
  identity: string[];
  chaindata: string;
  jwt: string | null;
  chainId: number | null;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('stand-in flag parsing (python3 here, fallback references)', () => {
  const { dir } = referenceDir(false);
  const ref = (c: StandinClient) => join(dir, `${c}.json`);
  const check = async (client: StandinClient, ...argv: string[]) => python(['--client', client, '--reference', ref(client), '--check-args', ...argv]);
  const parsed = async (client: StandinClient, ...argv: string[]): Promise<Parsed> => {
    const r = await check(client, ...argv);
    expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(r.stdout) as Parsed;
  };

  it('reads both value forms, switches and the role flags', async () => {
    const p = await parsed('geth', '--datadir=/d', '--http', '--http.addr', '127.0.7.11', '--http.port=9545', '--authrpc.jwtsecret', '/j', '--networkid', '39438161');
    expect(p).toMatchObject({
      action: 'run', subcommand: null, http: { address: '127.0.7.11', port: 9545 }, datadir: '/d', jwt: '/j', chainId: 39438161,
      identity: ['/d/geth/nodekey'], chaindata: '/d/geth/chaindata',
    });
    expect(p.flags).toEqual([['--datadir', '/d'], ['--http', null], ['--http.addr', '127.0.7.11'], ['--http.port', '9545'], ['--authrpc.jwtsecret', '/j'], ['--networkid', '39438161']]);
  });

  it('refuses an unknown flag, in either form, with exit 2 naming it', async () => {
    for (const word of ['--no-such-flag', '--no-such-flag=1', '--http-port']) {
      const r = await check('geth', '--http', word, '8545');
      expect(r).toEqual({ code: 2, stdout: '', stderr: `unknown flag ${word.split('=')[0]}\n` });
    }
    // Another client's flag is just as unknown.
    expect(await check('lighthouse', 'bn', '--rest-api-port', '5052')).toMatchObject({ code: 2, stderr: 'unknown flag --rest-api-port\n' });
  });

  it('refuses a missing value, a stray positional, and values on switches where the client does', async () => {
    expect(await check('geth', '--datadir')).toMatchObject({ code: 2, stderr: 'flag --datadir needs a value\n' });
    expect(await check('geth', '/data')).toMatchObject({ code: 2, stderr: "unexpected argument '/data'\n" });
    expect(await check('geth', '--http.port', 'x')).toMatchObject({ code: 2, stderr: "invalid port 'x' for --http.port\n" });
    expect((await parsed('geth', '--http=false')).flags).toEqual([['--http', 'false']]);
    expect(await check('geth', '--http=yes')).toMatchObject({ code: 2 });
    // clap (lighthouse) has no --switch=true.
    expect(await check('lighthouse', 'bn', '--http=true')).toMatchObject({ code: 2, stderr: 'flag --http takes no value (got --http=true)\n' });
  });

  it('knows each client’s subcommands', async () => {
    expect((await parsed('lighthouse', 'bn', '--http')).subcommand).toBe('bn');
    expect((await parsed('lighthouse', '--network', 'hoodi', 'beacon_node')).subcommand).toBe('beacon_node');
    expect(await check('lighthouse', '--http')).toMatchObject({ code: 2, stderr: 'lighthouse needs a subcommand (bn, beacon_node, beacon)\n' });
    expect((await parsed('lodestar', 'beacon')).subcommand).toBe('beacon');
    expect(await check('teku', 'bn')).toMatchObject({ code: 2, stderr: "unexpected argument 'bn'\n" });
    expect(await parsed('geth', '--datadir', '/d', 'init', '/g.json')).toMatchObject({ action: 'init', subcommand: 'init', genesis: '/g.json' });
    expect(await parsed('erigon', 'init', '--datadir', '/d', '/g.json')).toMatchObject({ action: 'init', chaindata: '/d/chaindata' });
    expect(await check('geth', 'init')).toMatchObject({ code: 2, stderr: 'init takes one argument, the genesis file path\n' });
    expect(await check('besu', 'init', '/g.json')).toMatchObject({ code: 2, stderr: "unexpected argument 'init'\n" });
    expect(await parsed('nimbus', 'trustedNodeSync', '--data-dir', '/d', '--trusted-node-url', 'http://cp')).toMatchObject({ action: 'checkpoint', chaindata: '/d/db' });
  });

  it('prints a version line for --version (and geth version)', async () => {
    for (const client of STANDIN_CLIENTS) {
      const r = await python(['--client', client, '--reference', ref(client), '--version']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(referenceVersion(fallbackReference(client)));
    }
    expect((await python(['--client', 'geth', '--reference', ref('geth'), 'version'])).stdout).toBe('geth version 1.15.10-stable-standin\n');
  });

  it('defaults the API to 127.0.0.1 and the client’s port, and picks identity and chain-data paths per client', async () => {
    const expected: Record<StandinClient, [port: number, identity: string[], chain: string]> = {
      lighthouse: [5052, ['beacon/network/key'], 'beacon/chain_db'],
      prysm: [3500, ['network-keys'], 'beaconchaindata'],
      teku: [5051, ['beacon/kvstore/generated-node-key.dat'], 'beacon/db'],
      nimbus: [5052, [], 'db'],
      lodestar: [9596, ['peer-id.json', 'enr'], 'chain-db'],
      geth: [8545, ['geth/nodekey'], 'geth/chaindata'],
      nethermind: [8545, ['keystore/node.key.plain'], 'nethermind_db'],
      besu: [8545, ['key'], 'database'],
      erigon: [8545, ['nodekey'], 'chaindata'],
    };
    for (const client of STANDIN_CLIENTS) {
      const datadir = FALLBACK[client].rows.find((r) => r[2] === 'datadir')![0];
      const p = await parsed(client, ...(RUN_SUBCOMMAND[client] ? [RUN_SUBCOMMAND[client]] : []), datadir, '/x');
      const [port, identity, chain] = expected[client];
      expect(p, client).toMatchObject({ http: { address: '127.0.0.1', port }, identity: identity.map((f) => `/x/${f}`), chaindata: `/x/${chain}` });
    }
  });

  it('takes the chain id from the network flags, else leaves it to the genesis', async () => {
    expect((await parsed('geth', '--sepolia')).chainId).toBe(11155111);
    expect((await parsed('geth')).chainId).toBeNull();
    expect((await parsed('besu', '--network', 'hoodi')).chainId).toBe(560048);
    expect((await parsed('besu', '--network-id', '39438161')).chainId).toBe(39438161);
    expect((await parsed('erigon', '--chain=holesky')).chainId).toBe(17000);
    expect((await parsed('nethermind', '--config', 'mainnet')).chainId).toBe(1);
    expect((await parsed('teku', '--network', 'mainnet')).chainId).toBeNull();
  });

  it('runs one-shot steps here, and aborts (exit 1) where the real client would: a consensus JWT file missing, an unreadable genesis', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'nodeform-standin-'));
    const lh = await python(['--client', 'lighthouse', '--reference', ref('lighthouse'), 'bn', '--datadir', tmp, '--http-port', '0', '--execution-jwt', join(tmp, 'none.hex')]);
    expect(lh).toMatchObject({ code: 1, stderr: `Fatal: JWT secret file ${join(tmp, 'none.hex')} does not exist\n` });
    const sync = await python(['--client', 'nimbus', '--reference', ref('nimbus'), 'trustedNodeSync', '--data-dir', tmp, '--trusted-node-url', 'http://cp']);
    expect(sync).toMatchObject({ code: 0, stdout: `nodeform-standin nimbus: wrote a checkpoint state to ${tmp}/db\n` });
    const init = await python(['--client', 'geth', '--reference', ref('geth'), '--datadir', tmp, 'init', join(tmp, 'none.json')]);
    expect(init.code).toBe(1);
    expect(init.stderr).toContain(`Fatal: failed to read genesis file ${join(tmp, 'none.json')}`);
  });
});

interface Syncing { data: { head_slot: string; sync_distance: string; is_syncing: boolean; is_optimistic: boolean; el_offline: boolean } }

describe('stand-in clients on a lab host', () => {
  let lab: Lab;
  let host: LabHost;
  const refs = referenceDir(true);
  const reference = (c: StandinClient) => JSON.parse(readFileSync(join(refs.dir, `${c}.json`), 'utf8')) as FlagReference[];
  const JWT = '/etc/standin-test/jwt.hex';
  const sh = async (script: string): Promise<string> => {
    const r = await lab.sh(host, script);
    if (r.code !== 0) throw new Error(`${script}\nexit ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  beforeAll(async () => {
    const fallback = STANDIN_CLIENTS.filter((c) => !refs.real.includes(c));
    console.log(`stand-in references: src/clients/flags for [${refs.real.join(', ')}]; fallback for [${fallback.join(', ')}]`);
    lab = await startLab({ name: 'standin', count: 1, slot: SLOT });
    host = lab.hosts[0]!;
    const started = Date.now();
    await installStandins(lab, [host], { referenceDir: refs.dir });
    console.log(`stand-ins installed in ${Date.now() - started} ms`);
    await sh(`mkdir -p /etc/standin-test && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > ${JWT}`);
  });
  afterAll(async () => {
    await lab?.stop();
  });

  /** A valid command line from the client's reference: API on the host's own address, data dir, JWT. */
  function argvFor(client: StandinClient, port: number): string[] {
    const rows = reference(client);
    const byRole = (role: FlagReference['role']) => rows.find((r) => r.role === role)?.flag;
    const [address, portFlag, datadir] = [byRole('http-address'), byRole('http-port'), byRole('datadir')];
    if (!address || !portFlag || !datadir) throw new Error(`${client}: its reference needs flags with roles http-address, http-port and datadir`);
    const jwt = byRole('jwt');
    const sw = rows.find((r) => !r.takesValue && API_SWITCHES.includes(r.flag));
    return [
      ...(RUN_SUBCOMMAND[client] ? [RUN_SUBCOMMAND[client]] : []),
      `${address}=${host.address}`, portFlag, String(port), datadir, `/var/lib/standin-test/${client}`,
      ...(jwt ? [jwt, JWT] : []), ...(sw ? [sw.flag] : []),
    ];
  }

  const parsedOnHost = async (client: StandinClient, argv: string[]): Promise<Parsed> =>
    JSON.parse(await sh(`python3 ${STANDIN_DIR}/standin.py --client ${client} --reference ${STANDIN_DIR}/flags/${client}.json --check-args ${argv.map(q).join(' ')}`)) as Parsed;

  const startUnit = (unit: string, client: StandinClient, argv: string[], env: Record<string, string> = {}) =>
    sh(`systemctl reset-failed ${unit} 2>/dev/null; systemd-run --quiet --unit=${unit} ${Object.entries(env).map(([k, v]) => `-E ${k}=${v}`).join(' ')} ${standinBinary(client)} ${argv.map(q).join(' ')}`);

  async function stopUnit(unit: string): Promise<number> {
    const ms = await sh(`s=$(date +%s%N); systemctl stop ${unit}; echo $(( ($(date +%s%N) - s) / 1000000 ))`);
    return Number(ms.trim());
  }

  async function poll<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
    const deadline = Date.now() + ms;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const v = await fn();
        if (v !== undefined) return v;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`);
  }

  async function getJson(url: string): Promise<{ status: number; body: unknown }> {
    const r = await fetch(url, { signal: AbortSignal.timeout(3_000) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  }

  async function rpc(base: string, method: string): Promise<unknown> {
    const r = await fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params: [] }),
      signal: AbortSignal.timeout(3_000),
    });
    const body = (await r.json()) as { id: number; result?: unknown; error?: unknown };
    expect(body.id).toBe(7);
    if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    return body.result;
  }

  /** Head and whether the node says it is syncing, over its own API. */
  async function status(client: StandinClient, base: string): Promise<{ head: number; syncing: boolean }> {
    if (CONSENSUS.has(client)) {
      const { body } = await getJson(`${base}/eth/v1/node/syncing`);
      const d = (body as Syncing).data;
      return { head: Number(d.head_slot), syncing: d.is_syncing };
    }
    const syncing = await rpc(base, 'eth_syncing');
    return { head: Number(await rpc(base, 'eth_blockNumber')), syncing: syncing !== false };
  }

  it('installs the nine wrappers, world-readable, printing their version', async () => {
    for (const client of STANDIN_CLIENTS) {
      expect(await sh(`stat -c '%a %U' ${standinBinary(client)} ${STANDIN_DIR}/standin.py ${STANDIN_DIR}/flags/${client}.json`)).toBe('755 root\n644 root\n644 root\n');
      expect(await sh(`${standinBinary(client)} --version`)).toContain(referenceVersion(reference(client)));
    }
    // Installing again replaces the files in place.
    await installStandins(lab, [host], { referenceDir: refs.dir, clients: ['geth'], slotSeconds: 2 });
    expect(await sh(`cat ${standinBinary('geth')}`)).toContain(': "${NODEFORM_STANDIN_SLOT_SECONDS:=2}"');
    await installStandins(lab, [host], { referenceDir: refs.dir, clients: ['geth'] });
  });

  it.each(STANDIN_CLIENTS.map((c, i) => [c, 15_100 + i] as const))(
    '%s: runs as a service serving its API on the host address, keeps identity across restart and wipe, stops quickly',
    async (client, port) => {
      const argv = argvFor(client, port);
      const unit = `standin-${client}`;
      const base = `http://${host.address}:${port}`;
      const p = await parsedOnHost(client, argv);
      expect(p).toMatchObject({ action: 'run', http: { address: host.address, port }, datadir: `/var/lib/standin-test/${client}` });
      const env = { NODEFORM_STANDIN_SLOT_SECONDS: '0.5', NODEFORM_STANDIN_SYNC_SECONDS: '3' };

      await startUnit(unit, client, argv, env);
      const first = await poll(`${client} API`, () => status(client, base));
      expect(first.syncing).toBe(true);
      const synced = await poll(`${client} synced`, async () => {
        const s = await status(client, base);
        return s.syncing ? undefined : s;
      });
      expect(synced.head).toBeGreaterThan(first.head);
      expect((await sh(`systemctl is-active ${unit}`)).trim()).toBe('active');

      if (CONSENSUS.has(client)) {
        expect((await getJson(`${base}/eth/v1/node/health`)).status).toBe(200);
        expect((await getJson(`${base}/eth/v1/node/version`)).body).toMatchObject({ data: { version: expect.stringContaining(referenceVersion(reference(client))) } });
        expect((await getJson(`${base}/eth/v1/node/peer_count`)).body).toMatchObject({ data: { connected: '8' } });
        expect((await getJson(`${base}/eth/v1/beacon/genesis`)).body).toMatchObject({ data: { genesis_time: expect.any(String) } });
        expect((await getJson(`${base}/eth/v1/beacon/states/head/finality_checkpoints`)).body).toMatchObject({ data: { finalized: { epoch: expect.any(String) } } });
        const header = (await getJson(`${base}/eth/v1/beacon/headers/head`)).body as { data: { header: { message: { slot: string } } } };
        expect(Number(header.data.header.message.slot)).toBeGreaterThanOrEqual(synced.head);
        expect((await getJson(`${base}/eth/v1/no/such/route`)).status).toBe(404);
      } else {
        expect(await rpc(base, 'eth_chainId')).toBe('0x1');
        expect(await rpc(base, 'net_peerCount')).toBe('0x8');
        expect(await rpc(base, 'web3_clientVersion')).toContain(referenceVersion(reference(client)));
      }

      // Data dir: marker, identity, chain data that grows; the journal has the start line with the argv.
      const marker = JSON.parse(await sh(`cat ${p.datadir}/nodeform-standin.json`)) as { client: string; argv: string[] };
      expect(marker).toMatchObject({ client, argv });
      const blocks = async () => Number((await sh(`ls ${p.chaindata} | grep -c '\\.blk$' || true`)).trim());
      expect(await blocks()).toBeGreaterThan(0);
      const identity = async () => (p.identity.length > 0 ? sh(`sha256sum ${p.identity.join(' ')}`) : '');
      const id = await identity();
      expect(id.split('\n').filter((l) => /^[0-9a-f]{64} /.test(l))).toHaveLength(p.identity.length);
      if (p.identity.length === 0) expect(client).toBe('nimbus');

      const stopMs = await stopUnit(unit);
      expect(stopMs).toBeLessThan(2_000);
      const journal = await poll(`${client} journal`, async () => {
        const j = await sh(`journalctl --no-pager -o cat -u ${unit}`);
        return j.includes('stopping on signal') ? j : undefined;
      });
      expect(journal).toContain(`nodeform-standin ${client} v`);
      expect(journal).toContain(`argv: ${argv.join(' ')}`);
      expect(journal).not.toMatch(/timed out|Killing process/);
      await expect(status(client, base)).rejects.toThrow();

      // A restart resumes from the chain data, with the same identity.
      await startUnit(unit, client, argv, env);
      const resumed = await poll(`${client} API after restart`, () => status(client, base));
      expect(resumed.head).toBeGreaterThanOrEqual(synced.head);
      expect(await identity()).toBe(id);
      await stopUnit(unit);

      // A wipe of the chain data starts from 0 and keeps the identity.
      await sh(`rm -rf ${p.chaindata}`);
      await startUnit(unit, client, argv, env);
      const wiped = await poll(`${client} API after wipe`, () => status(client, base));
      expect(wiped.head).toBeLessThan(resumed.head);
      expect(await identity()).toBe(id);
      expect(await stopUnit(unit)).toBeLessThan(2_000);
    },
  );

  it.each(STANDIN_CLIENTS)('%s: an unknown flag fails the command and the service with exit 2, naming it', async (client) => {
    const argv = [...argvFor(client, 15_200), '--nodeform-no-such-flag', 'x'];
    const direct = await lab.sh(host, `${standinBinary(client)} ${argv.map(q).join(' ')}`);
    expect(direct).toEqual({ code: 2, stdout: '', stderr: 'unknown flag --nodeform-no-such-flag\n' });

    const unit = `standin-bad-${client}`;
    await startUnit(unit, client, argv);
    const state = await poll(`${unit} failed`, async () => {
      const s = await sh(`systemctl show -p ActiveState -p ExecMainStatus ${unit}`);
      return s.includes('ActiveState=failed') ? s : undefined;
    });
    expect(state).toContain('ExecMainStatus=2');
    expect(await sh(`journalctl --no-pager -o cat -u ${unit}`)).toContain('unknown flag --nodeform-no-such-flag');
    await sh(`systemctl reset-failed ${unit}`);
  });

  it.each(['geth', 'erigon'] as const)('%s init writes the genesis into the chain data; the chain id follows it', async (client) => {
    const genesis = `/etc/standin-test/${client}-genesis.json`;
    await sh(`echo '{"config":{"chainId":39438161},"alloc":{}}' > ${genesis}`);
    const datadirFlag = reference(client).find((r) => r.role === 'datadir')!.flag;
    const datadir = `/var/lib/standin-init/${client}`;
    const out = await sh(`${standinBinary(client)} ${datadirFlag} ${datadir} init ${genesis}`);
    expect(out).toContain('wrote genesis state');
    const p = await parsedOnHost(client, [datadirFlag, datadir]);
    expect(JSON.parse(await sh(`cat ${p.chaindata}/genesis.json`))).toEqual({ genesis, chainId: 39438161 });

    const argv = argvFor(client, 15_300).map((w) => (w === `/var/lib/standin-test/${client}` ? datadir : w));
    await startUnit(`standin-init-${client}`, client, argv);
    expect(await poll('eth_chainId', () => rpc(`http://${host.address}:15300`, 'eth_chainId'))).toBe('0x259c751');
    await stopUnit(`standin-init-${client}`);
  });

  it('takes the chain id from a Nethermind chain spec or a Besu genesis file, and needs the file to exist', async () => {
    await sh(`echo '{"params":{"chainID":"0x259c751","networkID":"0x259c751"}}' > /etc/standin-test/chainspec.json`);
    await sh(`echo '{"config":{"chainId":39438161}}' > /etc/standin-test/besu-genesis.json`);
    const cases = [['nethermind', '--Init.ChainSpecPath', '/etc/standin-test/chainspec.json'], ['besu', '--genesis-file', '/etc/standin-test/besu-genesis.json']] as const;
    for (const [client, flag, file] of cases) {
      const argv = [...argvFor(client, 15_500), flag, file];
      await startUnit(`standin-spec-${client}`, client, argv);
      expect(await poll('eth_chainId', () => rpc(`http://${host.address}:15500`, 'eth_chainId'))).toBe('0x259c751');
      await stopUnit(`standin-spec-${client}`);
      const missing = await lab.sh(host, `${standinBinary(client)} ${[...argvFor(client, 15_500), flag, '/etc/standin-test/none.json'].map(q).join(' ')}`);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('Fatal: failed to read genesis file /etc/standin-test/none.json');
    }
  });

  it('fails (exit 1) when the service user cannot write its data dir, as the real client would', async () => {
    const argv = argvFor('teku', 15_400).map((w) => (w === '/var/lib/standin-test/teku' ? '/var/lib/standin-root-only/teku' : w));
    await sh('mkdir -p /var/lib/standin-root-only && chmod 0755 /var/lib/standin-root-only');
    const r = await lab.sh(host, `setpriv --reuid=nobody --regid=nogroup --clear-groups ${standinBinary('teku')} ${argv.map(q).join(' ')}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Permission denied');
  });
});
