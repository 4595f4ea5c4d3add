// What the consensus and execution profile tests share: the flag reference files, the roles a row may
// carry, the node shapes, and reading a flag's value back from an argv.
import { readFileSync } from 'node:fs';
import { flagName } from '../../../src/clients/args.js';
import type { FlagReference } from '../../../src/clients/types.js';
import { ephemeryNode, mainnetNode } from './specs.js';

export const NODES = { ephemery: ephemeryNode, mainnet: mainnetNode } as const;
export const ROLES = new Set(['http-port', 'http-address', 'engine-port', 'engine-address', 'metrics-port', 'metrics-address', 'p2p-port', 'datadir', 'jwt']);
/** A NodeSpec setting path, as managedFlags names owners: `network_tuning.peers_cl`. */
export const SETTING = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/;

/** The rows of src/clients/flags/<client>.json. */
export function reference(client: string): FlagReference[] {
  return JSON.parse(readFileSync(new URL(`../../../src/clients/flags/${client}.json`, import.meta.url), 'utf8')) as FlagReference[];
}

/** The value a flag was given, in either `--f v` or `--f=v` form; undefined when absent, null for a switch. */
export function valueOf(argv: readonly string[], name: string): string | null | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (flagName(word) !== name) continue;
    if (word.includes('=')) return word.slice(word.indexOf('=') + 1);
    const next = argv[i + 1];
    return next !== undefined && !next.startsWith('-') ? next : null;
  }
  return undefined;
}
