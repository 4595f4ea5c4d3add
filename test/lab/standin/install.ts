// Installs the stand-in clients on lab hosts: standin.py and the flag references under /opt/nodeform-standin/,
// and one wrapper per client at /usr/local/bin/<client>, the binary path nodeform renders by default.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsensusClient, ExecutionClient } from '../../../src/clients/types.js';
import type { Lab, LabHost } from '../lab.js';

export type StandinClient = ConsensusClient | ExecutionClient;

export const STANDIN_CLIENTS: readonly StandinClient[] = ['lighthouse', 'prysm', 'teku', 'nimbus', 'lodestar', 'geth', 'nethermind', 'besu', 'erigon'];
export const STANDIN_DIR = '/opt/nodeform-standin';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_REFERENCE_DIR = join(here, '..', '..', '..', 'src', 'clients', 'flags');
// One `sh -c` argument may hold at most 128 KiB (MAX_ARG_STRLEN): stay well under it per script.
const SCRIPT_BUDGET = 96 * 1024;

export interface StandinOptions {
  /** Directory holding `<client>.json` flag references; default src/clients/flags of this checkout. */
  referenceDir?: string;
  /** Clients to install (default all nine); each needs its reference file. */
  clients?: readonly StandinClient[];
  /** Baked into the wrappers as defaults; a unit's Environment= still overrides them. */
  slotSeconds?: number;
  syncSeconds?: number;
  peers?: number;
  /** A consensus stand-in started on empty chain data GETs the finalized state and block from its checkpoint URL. */
  checkpointDownload?: boolean;
}

/** The executable the stand-in for `client` is installed as. */
export function standinBinary(client: StandinClient): string {
  return `/usr/local/bin/${client}`;
}

/** Copies the stand-ins onto `hosts` (default: all of the lab's), replacing any earlier install. */
export async function installStandins(lab: Lab, hosts: LabHost[] = lab.hosts, options: StandinOptions = {}): Promise<void> {
  const clients = options.clients ?? STANDIN_CLIENTS;
  const referenceDir = options.referenceDir ?? DEFAULT_REFERENCE_DIR;
  const missing = clients.map((c) => join(referenceDir, `${c}.json`)).filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(`stand-ins: no flag reference at ${missing.join(', ')}; pass options.referenceDir or options.clients`);
  }
  const files: { path: string; content: Buffer; mode: string }[] = [
    { path: `${STANDIN_DIR}/standin.py`, content: readFileSync(join(here, 'standin.py')), mode: '0644' },
  ];
  for (const client of clients) {
    const source = join(referenceDir, `${client}.json`);
    const content = readFileSync(source);
    try {
      if (!Array.isArray(JSON.parse(content.toString('utf8')))) throw new Error('not an array');
    } catch (e) {
      throw new Error(`stand-ins: flag reference ${source}: ${(e as Error).message}`);
    }
    files.push({ path: `${STANDIN_DIR}/flags/${client}.json`, content, mode: '0644' });
    files.push({ path: standinBinary(client), content: Buffer.from(wrapper(client, options)), mode: '0755' });
  }
  const scripts = pack([`mkdir -p ${STANDIN_DIR}/flags && chmod 0755 ${STANDIN_DIR} ${STANDIN_DIR}/flags`, ...files.flatMap(writeCommands)]);
  await Promise.all(
    hosts.map(async (host) => {
      for (const script of scripts) {
        const r = await lab.sh(host, `set -e\n${script}`);
        if (r.code !== 0) throw new Error(`stand-ins: installing on ${host.name} failed (exit ${r.code}): ${r.stderr.trim()}`);
      }
    }),
  );
}

function wrapper(client: StandinClient, options: StandinOptions): string {
  const defaults = Object.entries({
    NODEFORM_STANDIN_SLOT_SECONDS: options.slotSeconds,
    NODEFORM_STANDIN_SYNC_SECONDS: options.syncSeconds,
    NODEFORM_STANDIN_PEERS: options.peers,
    NODEFORM_STANDIN_CHECKPOINT_DOWNLOAD: options.checkpointDownload ? 1 : undefined,
  })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `: "\${${k}:=${Number(v)}}"; export ${k}\n`)
    .join('');
  return (
    `#!/bin/sh\n# nodeform lab stand-in for ${client} (test/lab/standin/standin.py): not the real client.\n${defaults}` +
    `exec python3 ${STANDIN_DIR}/standin.py --client ${client} --reference ${STANDIN_DIR}/flags/${client}.json "$@"\n`
  );
}

// Base64 in chunks a script can carry, into a temp file renamed into place. Paths are ours, never user input.
function writeCommands(file: { path: string; content: Buffer; mode: string }): string[] {
  const tmp = `${file.path}.tmp`;
  const b64 = file.content.toString('base64');
  const chunk = SCRIPT_BUDGET - 1024;
  const commands = [`mkdir -p ${dirname(file.path)} && : > ${tmp}`];
  for (let i = 0; i < b64.length; i += chunk) commands.push(`printf %s '${b64.slice(i, i + chunk)}' | base64 -d >> ${tmp}`);
  commands.push(`chmod ${file.mode} ${tmp} && mv -f ${tmp} ${file.path}`);
  return commands;
}

function pack(commands: string[]): string[] {
  const scripts: string[] = [];
  let current = '';
  for (const c of commands) {
    if (current !== '' && current.length + c.length + 1 > SCRIPT_BUDGET) {
      scripts.push(current);
      current = '';
    }
    current += `${c}\n`;
  }
  if (current !== '') scripts.push(current);
  return scripts;
}
