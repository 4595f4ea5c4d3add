// A real checkpoint provider for lab tests: the Lodestar 1.5.1 dev chain ("node1" of the lodestar-lab
// recipe the project carries in test/lab/lodestar-recipe): one beacon node with 8 interop validators,
// phase0, MINIMAL preset (8 slots an epoch), run on this machine as a child process, bound to its own
// loopback address (one of a lab slot's free addresses, slotAddress(slot, 1-10)), REST and p2p there only.
// Plus peerWithChain(): peers a second Lodestar node with it through the admin API, like connect2.sh; and
// countingProxy(): records what a provider was asked.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab, type LabHost, type SlotReservation } from './lab.js';
import { hostSh } from './support.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Installs Lodestar 1.5.1 once (test/lab/lodestar.sh; a no-op when installed) and returns the install dir. */
export function lodestarInstallDir(): string {
  const cache = process.env.NODEFORM_LAB_CACHE ?? '/var/cache/nodeform-lab';
  return execFileSync('bash', [join(here, 'lodestar.sh'), cache], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** The CLI entry inside an install dir: run it as `node ENTRY beacon ...`. */
export const LODESTAR_ENTRY = 'node_modules/@chainsafe/lodestar/lib/index.js';

/** Where a Lodestar lab host sees the install (bind-mounted read-only) and the Node that runs it. */
export const LODESTAR_DIR = '/opt/lodestar';
export const LODESTAR_NODE = '/opt/node/bin/node';

/**
 * The node variables of a lab host that runs the real Lodestar 1.5.1 beside the geth stand-in, listening on
 * `address`: no eth1 deposit tracking on a dev chain; p2p on the host's own address (lab hosts share the loopback);
 * the admin API for peering; no discovery (node1 is peered by hand, like connect2.sh).
 */
export function lodestarNodeVars(address: string) {
  return {
    consensus: {
      client: 'lodestar',
      version: 'v1.5.1',
      listen_address: address,
      extra_args: ['--eth1=false', `--listenAddress=${address}`, '--rest.namespace=*', '--discv5=false'],
    },
    execution: { client: 'geth', listen_address: address },
  };
}

/** A one-host lab with the real Lodestar 1.5.1 bind-mounted and on its PATH as /usr/local/bin/lodestar. */
export async function startLodestarLab(name: string, slot: number | SlotReservation, capabilities: string[] = []): Promise<{ lab: Lab; host: LabHost }> {
  const lab = await startLab({
    name,
    count: 1,
    slot,
    capabilities,
    binds: [
      { source: lodestarInstallDir(), target: LODESTAR_DIR },
      { source: process.execPath, target: LODESTAR_NODE },
    ],
  });
  const host = lab.hosts[0]!;
  try {
    await hostSh(lab, host, [
      `printf '#!/bin/sh\\nexec ${LODESTAR_NODE} ${LODESTAR_DIR}/${LODESTAR_ENTRY} "$@"\\n' > /usr/local/bin/lodestar`,
      'chmod 0755 /usr/local/bin/lodestar',
    ].join(' && '));
  } catch (err) {
    await lab.stop();
    throw err;
  }
  return { lab, host };
}

export interface LodestarChainOptions {
  /** Loopback address for REST and p2p: a free address of a slot this run holds (slotAddress, reserveSlot). */
  address: string;
  restPort?: number;
  p2pPort?: number;
  /** SECONDS_PER_SLOT. Default 1 (first finalized epoch after about 40 s). */
  slotSeconds?: number;
  validators?: number;
}

export interface LodestarChain {
  /** Beacon API base URL. */
  url: string;
  address: string;
  restPort: number;
  p2pPort: number;
  slotSeconds: number;
  /** /ip4/ADDRESS/tcp/P2P_PORT */
  multiaddr: string;
  installDir: string;
  /** Data dir and log (lodestar.log) of this run. */
  dir: string;
  peerId(): Promise<string>;
  /** Waits until the head state reports a finalized epoch >= minEpoch (1.5.1's finalized state says epoch 0: ask head). */
  waitFinalized(minEpoch?: number, timeoutMs?: number): Promise<{ epoch: number; root: string }>;
  /** The last lines of the node's output. */
  log(): string;
  stop(): Promise<void>;
}

async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return res.ok ? ((await res.json()) as T) : undefined;
  } catch {
    return undefined;
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lodestar reads LODESTAR_* variables as arguments: never pass ours on. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LODESTAR_')));
}

/** Starts node1 and resolves once its REST API answers (finality comes later: waitFinalized). */
export async function startLodestarChain(options: LodestarChainOptions): Promise<LodestarChain> {
  const address = options.address;
  const restPort = options.restPort ?? 9596;
  const p2pPort = options.p2pPort ?? 9000;
  const slotSeconds = options.slotSeconds ?? 1;
  const installDir = lodestarInstallDir();
  const dir = mkdtempSync(join(tmpdir(), 'nodeform-lodestar-chain-'));
  const url = `http://${address}:${restPort}`;
  const args = [
    join(installDir, LODESTAR_ENTRY), 'dev',
    '--genesisValidators', String(options.validators ?? 8), '--startValidators', `0..${(options.validators ?? 8) - 1}`,
    '--dataDir', join(dir, 'data'),
    '--rest.address', address, '--rest.port', String(restPort), '--rest.namespace', '*',
    // dev's validator client talks to the beacon node at --server; its default is 127.0.0.1:9596.
    '--server', url,
    '--listenAddress', address, '--port', String(p2pPort), '--enr.ip', address, '--enr.tcp', String(p2pPort), '--enr.udp', String(p2pPort),
    '--params.SECONDS_PER_SLOT', String(slotSeconds), '--logFile', 'none',
  ];
  const logPath = join(dir, 'lodestar.log');
  const out = createWriteStream(logPath);
  let tail = '';
  const child: ChildProcess = spawn(process.execPath, args, { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d: Buffer) => {
    out.write(d);
    tail = (tail + d.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  const onProcessExit = () => child.kill('SIGKILL');
  process.once('exit', onProcessExit);

  const chain: LodestarChain = {
    url,
    address,
    restPort,
    p2pPort,
    slotSeconds,
    multiaddr: `/ip4/${address}/tcp/${p2pPort}`,
    installDir,
    dir,
    peerId: async () => {
      const r = await getJson<{ data: { peer_id: string } }>(`${url}/eth/v1/node/identity`);
      if (!r) throw new Error(`lodestar chain at ${url}: no identity`);
      return r.data.peer_id;
    },
    waitFinalized: async (minEpoch = 1, timeoutMs = 180_000) => {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        if (exited) throw new Error(`lodestar chain exited (${exited.code ?? exited.signal}):\n${tail}`);
        const r = await getJson<{ data: { finalized: { epoch: string; root: string } } }>(`${url}/eth/v1/beacon/states/head/finality_checkpoints`);
        const epoch = Number(r?.data.finalized.epoch ?? 0);
        if (epoch >= minEpoch) return { epoch, root: r!.data.finalized.root };
        if (Date.now() > deadline) throw new Error(`lodestar chain at ${url}: no finalized epoch >= ${minEpoch} after ${timeoutMs / 1000} s:\n${tail}`);
        await sleep(500);
      }
    },
    log: () => tail,
    stop: async () => {
      process.removeListener('exit', onProcessExit);
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
      out.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + 60_000;
  while (!(await getJson(`${url}/eth/v1/node/version`))) {
    if (exited) throw new Error(`lodestar chain exited before its REST API answered (${exited.code ?? exited.signal}):\n${tail}`);
    if (Date.now() > deadline) {
      await chain.stop();
      throw new Error(`lodestar chain: no REST API at ${url} after 60 s:\n${tail}`);
    }
    await sleep(250);
  }
  return chain;
}

/**
 * Peers a second Lodestar node (its Beacon API at node2Url, admin namespace enabled: --rest.namespace '*')
 * with the chain's node, and re-peers whenever node 2's head stops moving for stallMs (1.5.1 sometimes
 * stalls after its first range sync): connect2.sh in TypeScript. Resolves when node 2 reports
 * is_syncing false, with the number of re-peerings.
 */
export async function peerWithChain(chain: Pick<LodestarChain, 'peerId' | 'multiaddr'>, node2Url: string, opts: { timeoutMs?: number; stallMs?: number } = {}): Promise<{ kicks: number; headSlot: number }> {
  const timeoutMs = opts.timeoutMs ?? 150_000;
  const stallMs = opts.stallMs ?? 4_000;
  const deadline = Date.now() + timeoutMs;
  while (!(await getJson(`${node2Url}/eth/v1/node/version`))) {
    if (Date.now() > deadline) throw new Error(`node 2 at ${node2Url}: no REST API`);
    await sleep(500);
  }
  const peerId = await chain.peerId();
  const q = `peerId=${encodeURIComponent(peerId)}&multiaddr=${encodeURIComponent(chain.multiaddr)}`;
  const connect = () => fetch(`${node2Url}/eth/v1/lodestar/connect_peer?${q}`, { method: 'POST' }).then((r) => r.body?.cancel());
  const disconnect = () => fetch(`${node2Url}/eth/v1/lodestar/disconnect_peer?peerId=${encodeURIComponent(peerId)}`, { method: 'POST' }).then((r) => r.body?.cancel());
  await connect();
  let last = -1;
  let since = Date.now();
  let kicks = 0;
  while (Date.now() < deadline) {
    const s = await getJson<{ data: { is_syncing: boolean; head_slot: string } }>(`${node2Url}/eth/v1/node/syncing`);
    if (s && !s.data.is_syncing) return { kicks, headSlot: Number(s.data.head_slot) };
    const head = Number(s?.data.head_slot ?? -1);
    if (head !== last) {
      last = head;
      since = Date.now();
    } else if (Date.now() - since > stallMs) {
      await disconnect().catch(() => undefined);
      await sleep(500);
      await connect().catch(() => undefined);
      since = Date.now();
      kicks += 1;
    }
    await sleep(500);
  }
  throw new Error(`node 2 at ${node2Url}: not synced after ${timeoutMs / 1000} s (${kicks} re-peerings)`);
}

export interface CountingProxy {
  url: string;
  /** `METHOD /path` of every request passed on, in order. */
  requests: string[];
  count(pathPrefix: string): number;
  close(): Promise<void>;
}

/** An HTTP proxy in front of a Beacon API that records every request (to count what a provider was asked). */
export async function countingProxy(target: string, address = '127.0.0.1'): Promise<CountingProxy> {
  const up = new URL(target);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${(req.url ?? '/').split('?')[0]}`);
    const fwd = httpRequest({ host: up.hostname, port: up.port, path: req.url, method: req.method, headers: { ...req.headers, host: up.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    requests,
    count: (prefix) => requests.filter((r) => r.split(' ')[1]!.startsWith(prefix)).length,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * A custom network's config_source directory, true to the chain's node: its spec as config.yaml, its genesis state
 * as genesis.ssz, and a genesis.json with the chain id for the execution stand-in. Returns the spec and the SSZ.
 */
export async function networkFromChain(chain: Pick<LodestarChain, 'url'>, dir: string): Promise<{ spec: Record<string, string>; genesisSsz: Buffer }> {
  const spec = (await getJson<{ data: Record<string, string> }>(`${chain.url}/eth/v1/config/spec`))?.data;
  if (!spec) throw new Error(`${chain.url}: no /eth/v1/config/spec`);
  // 1.5.1 reads config YAML with a strings-only schema and takes the chain-config keys (preset keys are ignored):
  // every value as a double-quoted string, as the API gave it.
  const yaml = Object.entries(spec).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n');
  const res = await fetch(`${chain.url}/eth/v2/debug/beacon/states/genesis`, { headers: { accept: 'application/octet-stream' } });
  if (!res.ok) throw new Error(`the chain serves no genesis state: HTTP ${res.status}`);
  const genesisSsz = Buffer.from(await res.arrayBuffer());
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.yaml'), `${yaml}\n`);
  writeFileSync(join(dir, 'genesis.ssz'), genesisSsz);
  // The execution stand-in needs a chain id only.
  writeFileSync(join(dir, 'genesis.json'), `${JSON.stringify({ config: { chainId: Number(spec.DEPOSIT_CHAIN_ID) }, alloc: {} })}\n`);
  return { spec, genesisSsz };
}

/**
 * Keeps a second Lodestar node (Beacon API at node2Url, admin namespace on) peered with the chain's node until
 * `signal` aborts, across its restarts: whenever its API answers and it is not synced, it is connected when it has
 * no peer, and re-peered when its head stops moving for stallMs (peerWithChain's rule, for as long as a bench
 * runs). `chain.multiaddr` may be a proxy's address in front of the chain's p2p port.
 */
export async function keepPeered(chain: Pick<LodestarChain, 'peerId' | 'multiaddr'>, node2Url: string, signal: AbortSignal, opts: { stallMs?: number } = {}): Promise<{ connects: number }> {
  const stallMs = opts.stallMs ?? 4_000;
  const peerId = await chain.peerId();
  const q = `peerId=${encodeURIComponent(peerId)}&multiaddr=${encodeURIComponent(chain.multiaddr)}`;
  const post = (path: string) => fetch(`${node2Url}${path}`, { method: 'POST', signal: AbortSignal.timeout(3000) }).then((r) => r.body?.cancel()).catch(() => undefined);
  let connects = 0;
  let last = -1;
  let since = Date.now();
  while (!signal.aborted) {
    const s = await getJson<{ data: { is_syncing: boolean; head_slot: string } }>(`${node2Url}/eth/v1/node/syncing`);
    if (s && s.data.is_syncing) {
      const peers = await getJson<{ data: { connected: string } }>(`${node2Url}/eth/v1/node/peer_count`);
      const head = Number(s.data.head_slot);
      if (head !== last) {
        last = head;
        since = Date.now();
      }
      const stalled = Date.now() - since > stallMs;
      if (peers?.data.connected === '0' || stalled) {
        if (stalled) await post(`/eth/v1/lodestar/disconnect_peer?peerId=${encodeURIComponent(peerId)}`);
        await post(`/eth/v1/lodestar/connect_peer?${q}`);
        connects += 1;
        since = Date.now();
      }
    } else if (!s) last = -1;
    await sleep(1000);
  }
  return { connects };
}
