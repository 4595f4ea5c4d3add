// Helpers shared by lab test files: run the CLI in-process, write inventories and playbooks, read host state.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { run } from '../../src/cli/main.js';
import type { Lab, LabHost } from './lab.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A HOME of its own, so ~/.ssh of the machine never leaks into a test (or is written by --accept-new). */
export const testHome = mkdtempSync(join(tmpdir(), 'nodeform-home-'));
mkdirSync(join(testHome, '.ssh'), { mode: 0o700 });

export async function nodeform(...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    isTTY: false,
    env: { HOME: testHome },
    cwd: process.cwd(),
  });
  return { code, stdout, stderr };
}

/** An inventory of the lab's hosts with extra vars and per-host overrides, written beside the lab's own. */
export function writeInventory(lab: Lab, name: string, options: { vars?: Record<string, unknown>; hosts?: Record<string, Record<string, unknown>>; only?: LabHost[] } = {}): string {
  const hosts = options.only ?? lab.hosts;
  const inventory = {
    all: {
      vars: { ansible_user: 'root', ansible_ssh_private_key_file: lab.clientKey, nodeform_known_hosts_file: lab.knownHosts, ...options.vars },
      hosts: Object.fromEntries(hosts.map((h) => [h.name, { ansible_host: h.address, ansible_port: h.port, ...options.hosts?.[h.name] }])),
    },
  };
  const dir = join(lab.dir, name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'inventory.yaml');
  writeFileSync(path, YAML.stringify(inventory));
  return path;
}

export function writePlaybook(lab: Lab, name: string, plays: unknown[]): string {
  const path = join(lab.dir, `${name}.yaml`);
  writeFileSync(path, YAML.stringify(plays));
  return path;
}

export async function hostSh(lab: Lab, host: LabHost, script: string): Promise<string> {
  const r = await lab.sh(host, script);
  if (r.code !== 0) throw new Error(`${host.name}: ${script}\nexit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** sha256, mode, owner and group of each path ("absent" when missing), as one comparable text. */
export async function snapshot(lab: Lab, host: LabHost, paths: string[]): Promise<Record<string, string>> {
  const script = paths
    .map((p) => `if [ -e '${p}' ]; then printf '%s %s\\n' '${p}' "$(stat -c '%a %U %G %F' '${p}') $( [ -f '${p}' ] && sha256sum < '${p}' | cut -c1-64)"; else echo '${p} absent'; fi`)
    .join('\n');
  const out = await hostSh(lab, host, script);
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
}

export async function unitState(lab: Lab, host: LabHost, unit: string): Promise<{ enabled: string; active: string; since: string }> {
  // is-enabled prints nothing for a unit that does not exist: keep one line per field regardless.
  const out = await lab.sh(host, `echo "$(systemctl is-enabled ${unit} 2>/dev/null)"; echo "$(systemctl is-active ${unit})"; systemctl show -p ActiveEnterTimestampMonotonic --value ${unit}`);
  const [enabled = '', active = '', since = ''] = out.stdout.split('\n');
  return { enabled, active, since };
}
