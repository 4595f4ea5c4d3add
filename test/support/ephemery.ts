// A local Ephemery release server in GitHub's layout (/releases/latest, /releases/download/TAG/testnet-all.tar.gz),
// serving real tar.gz archives built from small release files, and counting requests.
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as tar from 'tar';

/**
 * The genesis of the test Ephemery's iteration N: iteration 161 is the chain the healthy local providers are on
 * (test/support/provider-server.ts CHAIN: time 1720000000, validators root 0xa1...a1); each other iteration is
 * 28 days away with its own root.
 */
export function releaseGenesis(iteration: number): { genesisTime: string; genesisValidatorsRoot: string } {
  return {
    genesisTime: String(1720000000 + (iteration - 161) * 28 * 86400),
    genesisValidatorsRoot: `0x${(iteration & 0xff).toString(16).padStart(2, '0').repeat(32)}`,
  };
}

/** A genesis.ssz that starts like a real BeaconState (genesis_time, genesis_validators_root); the rest is filler. */
export function genesisSsz(iteration: number): Buffer {
  const genesis = releaseGenesis(iteration);
  const time = Buffer.alloc(8);
  time.writeBigUInt64LE(BigInt(genesis.genesisTime));
  return Buffer.concat([time, Buffer.from(genesis.genesisValidatorsRoot.slice(2), 'hex'), Buffer.from(`ssz-state-of-${iteration}`)]);
}

export function releaseFiles(iteration: number, overrides: Record<string, string | Buffer> = {}): Record<string, string | Buffer> {
  const chainId = 39438000 + iteration;
  return {
    'config.yaml': `PRESET_BASE: mainnet\nCONFIG_NAME: ephemery\nDEPOSIT_CHAIN_ID: ${chainId}\nDEPOSIT_NETWORK_ID: ${chainId}\n`,
    'genesis.json': JSON.stringify({ config: { chainId }, alloc: {} }),
    'chainspec.json': JSON.stringify({ name: 'ephemery', params: { chainId: `0x${chainId.toString(16)}`, networkID: `0x${chainId.toString(16)}` } }),
    'besu.json': JSON.stringify({ config: { chainId }, alloc: {} }),
    'genesis.ssz': genesisSsz(iteration),
    'boot_enr.yaml': '- enr:-Iq4QJk4WqRkjsX5c2CXtOra6HnxN\n- enr:-Iq4QAbcdef\n',
    'boot_enode.txt': 'enode://0f2c301a9a3f@135.181.140.168:30343,enode://abcdef01@10.0.0.1:30303\n',
    'deposit_contract_block.txt': '0\n',
    'nodevars_env.txt': `CHAIN_ID=${chainId}\nGENESIS_VALROOT=0xabc\n`,
    'unrelated.txt': 'not needed by clients\n',
    ...overrides,
  };
}

export async function releaseArchive(files: Record<string, string | Buffer>): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'nodeform-release-src-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const out = join(mkdtempSync(join(tmpdir(), 'nodeform-release-')), 'release.tar.gz');
  await tar.c({ gzip: true, file: out, cwd: dir }, Object.keys(files));
  return readFileSync(out);
}

export interface ReleaseServer {
  url: string;
  /** Paths asked, in order. */
  requests: string[];
  latest: string;
  archives: Map<string, Buffer>;
  close(): Promise<void>;
}

export async function startReleaseServer(host = '127.0.0.1'): Promise<ReleaseServer> {
  const state = { latest: 'ephemery-161', requests: [] as string[], archives: new Map<string, Buffer>() };
  const server = createServer((req, res) => {
    state.requests.push(req.url ?? '');
    if (req.url === '/releases/latest') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ tag_name: state.latest }));
    }
    const m = /^\/releases\/download\/([^/]+)\/testnet-all\.tar\.gz$/.exec(req.url ?? '');
    const archive = m && state.archives.get(m[1]!);
    if (!archive) {
      res.statusCode = 404;
      return res.end('not found');
    }
    res.end(archive);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    requests: state.requests,
    get latest() {
      return state.latest;
    },
    set latest(tag: string) {
      state.latest = tag;
    },
    archives: state.archives,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
