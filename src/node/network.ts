// A custom network's files, read from its config_source directory on the controller, become files
// on the host (at the NetworkFiles paths) and fill what the variables left open: the chain id from
// genesis.json, bootnodes from boot_enr.yaml / bootstrap_nodes.txt and boot_enode.txt (as Ephemery's
// releases name them). Pure.

import { parse } from 'yaml';
import type { NetworkSpec } from '../clients/types.js';
import { NETWORK_SOURCE_FILES, REQUIRED_NETWORK_FILES } from './defaults.js';
import type { NetworkFile } from './resources.js';

export interface CustomNetwork {
  network: NetworkSpec;
  files: NetworkFile[];
  /** What is wrong with the directory's files; empty when usable. */
  problems: string[];
}

const decode = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');

/** Entries of a list file: one per line or comma-separated, without blanks and comments. */
function entries(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function bootEnrs(yamlText: string): string[] | undefined {
  try {
    const value: unknown = parse(yamlText);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @param files the directory's files by name, bytes as base64 (only the names nodeform knows).
 */
export function customNetwork(spec: NetworkSpec, files: Record<string, string>): CustomNetwork {
  const problems: string[] = [];
  const network: NetworkSpec = { ...spec, bootnodesCl: [...spec.bootnodesCl], bootnodesEl: [...spec.bootnodesEl] };
  const missing = REQUIRED_NETWORK_FILES.filter((name) => files[name] === undefined);
  if (missing.length > 0) problems.push(`has no ${missing.join(', ')}: a custom network needs ${REQUIRED_NETWORK_FILES.join(', ')}`);

  const genesis = files['genesis.json'];
  if (genesis !== undefined) {
    let chainId: unknown;
    try {
      chainId = (JSON.parse(decode(genesis)) as { config?: { chainId?: unknown } }).config?.chainId;
    } catch (error) {
      problems.push(`genesis.json is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof chainId === 'number' && network.chainId === undefined) network.chainId = chainId;
    else if (typeof chainId === 'number' && chainId !== network.chainId) {
      problems.push(`genesis.json says chain id ${chainId}, network.chain_id says ${network.chainId}: they must agree`);
    }
  }
  if (network.chainId === undefined && problems.length === 0) problems.push('genesis.json has no config.chainId: set network.chain_id');

  if (network.bootnodesCl.length === 0) {
    const enr = files['boot_enr.yaml'];
    const bootstrap = files['bootstrap_nodes.txt'];
    if (enr !== undefined) {
      const parsed = bootEnrs(decode(enr));
      if (parsed) network.bootnodesCl = parsed;
      else problems.push('boot_enr.yaml must be a YAML list of ENRs');
    } else if (bootstrap !== undefined) {
      network.bootnodesCl = entries(decode(bootstrap));
    }
  }
  const enodes = files['boot_enode.txt'];
  if (network.bootnodesEl.length === 0 && enodes !== undefined) network.bootnodesEl = entries(decode(enodes));

  const config = files['config.yaml'];
  const preset = config === undefined ? undefined : /^PRESET_BASE:\s*['"]?(mainnet|minimal)['"]?\s*$/m.exec(decode(config))?.[1];
  if (preset === 'mainnet' || preset === 'minimal') network.preset = preset;

  const genesisState = files['genesis.ssz'];
  if (genesisState !== undefined) {
    // Too short to be a state: the clients will say so; providers are then not compared by genesis.
    const genesis = genesisOfState(Buffer.from(genesisState, 'base64'));
    if (genesis) network.genesis = genesis;
  }

  const dir = network.files?.dir ?? '';
  const copied = NETWORK_SOURCE_FILES.filter((name) => files[name] !== undefined).map((name) => ({ path: `${dir}/${name}`, base64: files[name]! }));
  return { network, files: copied, problems };
}

/**
 * Which Ephemery iteration `iteration: latest` follows. Releases are published before their chain's genesis
 * time: the newest release is followed once its genesis time (genesis.ssz's genesis_time, seconds) has come,
 * until then the one before it, with when the new one starts. `nowMs` is given by the loader (this reads no clock).
 */
export function iterationToFollow(
  latest: number,
  genesisTime: number | undefined,
  nowMs: number,
): { iteration: number; upcoming?: { iteration: number; genesisTime: number } } {
  if (genesisTime === undefined || genesisTime * 1000 <= nowMs || latest <= 0) return { iteration: latest };
  return { iteration: latest - 1, upcoming: { iteration: latest, genesisTime } };
}

/** What the plan says while `latest` stays on the running iteration. */
export function upcomingIterationNote(upcoming: { iteration: number; genesisTime: number }, following: number): string {
  return `ephemery iteration ${upcoming.iteration} starts at ${new Date(upcoming.genesisTime * 1000).toISOString()}; staying on ${following} until then`;
}

/**
 * Genesis time and validators root of a genesis BeaconState in SSZ: every fork's state starts with
 * genesis_time (uint64, little-endian) and genesis_validators_root (32 bytes), so no types are needed.
 */
export function genesisOfState(ssz: Buffer): { time: string; validatorsRoot: string } | undefined {
  if (ssz.length < 40) return undefined;
  return { time: ssz.readBigUInt64LE(0).toString(), validatorsRoot: `0x${ssz.subarray(8, 40).toString('hex')}` };
}
