// The benchmark's command line (`npm run bench -- --help`): parsed here, run by test/bench/run.ts.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Tool } from './report.js';

export const HELP = `npm run bench -- [options]     (as root: boots lab hosts; node --import tsx test/bench/run.ts)

  --hosts 1,3,10,30     host counts for the comparison (default 1,3,10,30; 0 skips)
  --runs 3              repetitions of every step; medians are reported (default 3)
  --ansible-runs N      repetitions for Ansible (default: --runs)
  --latency 0,50        added round trip in ms, put in front of every sshd by a delay proxy (default 0,50)
  --scale 100           nodeform alone on this many hosts: plan time (default 100; 0 skips)
  --big-files 50,250    file sizes in MB for the large-file cells on 3 hosts (a source: copy), next to their floors:
                        sha256sum of the file and ssh host cat FILE > /dev/null (default 50,250; 0 skips)
  --files 100,1000,5000 small files per host for the many-files cells on 3 hosts: no-op plan, first apply, a
                        one-line change to every file, reset --to original, next to their floors: tar c | ssh host
                        tar x of the same files, and ssh host sha256sum of them (default 100,1000,5000; 0 skips)
  --history 5000        a plan of 10 files on 3 hosts that once managed this many (applied, changed, reset to
                        original), next to the same plan on clean hosts (default 5000; 0 skips)
  --tools nodeform,ansible,ansible-tuned   which tools to run (default all three; the nodeform-only cells
                        --scale, --big-files, --files and --history need nodeform among them)
  --out bench-results   where the JSON and Markdown go
  --no-build            use dist/ as it is (default: npm run build first)

Ansible comes from Debian: apt-get install ansible-core. /usr/bin/time from: apt-get install time.`;

export interface Options {
  bigFiles: number[];
  files: number[];
  history: number;
  hosts: number[];
  runs: number;
  ansibleRuns: number;
  latency: number[];
  scale: number;
  tools: Tool[];
  out: string;
  build: boolean;
  help: boolean;
}

/** Integers of a comma-separated option, each at least `min`; a clear error naming the option otherwise. */
export function ints(s: string, what: string, min: number): number[] {
  return s.split(',').map((x) => {
    const n = Number(x.trim());
    if (x.trim() === '' || !Number.isInteger(n) || n < min) throw new Error(`--${what}: "${x}" is not an integer >= ${min}`);
    return n;
  });
}

/** The options of `npm run bench`; `out` is resolved against `root`. Throws on a bad value. */
export function parseOptions(argv: string[], root: string): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: 'string', default: '1,3,10,30' },
      runs: { type: 'string', default: '3' },
      'ansible-runs': { type: 'string' },
      latency: { type: 'string', default: '0,50' },
      scale: { type: 'string', default: '100' },
      'big-files': { type: 'string', default: '50,250' },
      files: { type: 'string', default: '100,1000,5000' },
      history: { type: 'string', default: '5000' },
      tools: { type: 'string', default: 'nodeform,ansible,ansible-tuned' },
      out: { type: 'string', default: 'bench-results' },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const tools = values.tools.split(',').map((t) => t.trim());
  for (const t of tools) if (!['nodeform', 'ansible', 'ansible-tuned'].includes(t)) throw new Error(`--tools: unknown tool "${t}"`);
  const runs = ints(values.runs, 'runs', 1)[0]!;
  // --hosts 0: no comparison (the large-file cells alone, say).
  const hosts = ints(values.hosts, 'hosts', 0).filter((n) => n > 0);
  if (Math.max(...hosts) > 89) throw new Error('--hosts: at most 89 for the comparison (use --scale for more)');
  const scale = ints(values.scale, 'scale', 0)[0]!;
  if (scale > 245) throw new Error('--scale: at most 245');
  return {
    bigFiles: ints(values['big-files'], 'big-files', 0).filter((n) => n > 0),
    files: ints(values.files, 'files', 0).filter((n) => n > 0),
    history: ints(values.history, 'history', 0)[0]!,
    hosts,
    runs,
    ansibleRuns: values['ansible-runs'] === undefined ? runs : ints(values['ansible-runs'], 'ansible-runs', 1)[0]!,
    latency: ints(values.latency, 'latency', 0),
    scale,
    tools: tools as Tool[],
    out: resolve(root, values.out),
    build: !values['no-build'],
    help: values.help,
  };
}
