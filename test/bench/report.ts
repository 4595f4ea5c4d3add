// The benchmark's result shape and its Markdown report (pure: takes the results, returns text).
import { mean, median } from './stats.js';

export type Tool = 'nodeform' | 'ansible' | 'ansible-tuned';
type Step = 'first' | 'noop' | 'plan' | 'change';

export interface Measured {
  wallMs: number;
  cpuS: number;
  maxRssKb: number;
  /** CPU seconds the lab hosts used meanwhile (their cgroups), where measured. */
  hostsCpuS?: number;
}

export interface StepResult {
  tool: Tool;
  step: Step;
  hosts: number;
  latencyMs: number;
  samples: Measured[];
  /** Per command, from the delay proxies (only when latency was added). */
  wire: { upPerHost: number; downPerHost: number; connectionsPerHost: number }[];
}

export interface Results {
  command: string;
  started: string;
  finished?: string;
  machine: {
    hostname: string;
    cores: number;
    cpu: string;
    memoryGiB: number;
    kernel: string;
    node: string;
    ansible?: string | undefined;
    nodeform?: string | undefined;
    /** The machine's load averages (1, 5, 15 min) when the run started and ended: other work on it slows every figure. */
    loadAtStart?: number[];
    loadAtEnd?: number[];
  };
  options: unknown;
  steps: StepResult[];
  floor: { hosts: number; latencyMs: number; samplesMs: number[]; medianMs: number }[];
  counts: { hosts: number; step: Step; contentSent: string[]; execsPerHost: number; bytesSentPerHost: number; bytesReceivedPerHost: number }[];
  equivalence: { hosts: number; latencyMs: number; identical: boolean; states: Record<string, string> }[];
  fileBytes: Record<string, number>;
  scale?: { hosts: number; bootS: number; firstApply: Measured; plan: Measured[]; noop: Measured[]; floorMs: number[] };
  bigFiles?: BigFileCell[];
  manyFiles?: ManyFilesCell[];
  history?: HistoryCell;
}

/** One large file (a `source:` copy) on a few hosts, with its floors measured in the same run. */
export interface BigFileCell {
  mb: number;
  hosts: number;
  /** `sha256sum FILE` on the controller. */
  sha256sum: Measured[];
  /** `ssh host cat FILE > /dev/null` to every host at once (OpenSSH). */
  sshCat: Measured[];
  /**
   * The same bytes the other way, as the apply sends them: `ssh host 'cat > F && sync F' < FILE` to every host at once
   * (OpenSSH; written and flushed on the host). Absent from results written before it was measured.
   */
  sshUpload?: Measured[];
  /**
   * The same upload with nothing written: `ssh host 'cat > /dev/null' < FILE` to every host at once. What writing the
   * file costs the hosts is the difference (the ssh cat floor writes nothing). Absent from results written before it was measured.
   */
  sshUploadDiscarded?: Measured[];
  /** nodeform apply onto hosts without the file, digest cache cold. */
  firstApply: Measured[];
  /** The same apply with the file's digest cached, as after a plan. Absent from results written before it was measured. */
  firstApplyCached?: Measured[];
  /** nodeform plan with nothing to do: digest cache cold (the file is hashed), and warm. */
  planCold: Measured[];
  planWarm: Measured[];
}

/** `files` small files per host on a few hosts, each step next to its floor measured in the same run. */
export interface ManyFilesCell {
  files: number;
  hosts: number;
  /** `tar c` of the same files on the controller piped to `ssh host tar x`, to every host at once (OpenSSH). */
  tarFloor: Measured[];
  /** `ssh host` sha256sum of every one of the files there, to every host at once: what a no-op plan reads at least. */
  hashFloor: Measured[];
  /** nodeform plan on hosts that have every file as declared (exit 0 with --detailed-exitcode: nothing to do). */
  noopPlan: Measured[];
  /**
   * nodeform apply onto hosts without the files or any nodeform state, the controller's playbook parse cache cold
   * (~/.cache/nodeform/parse emptied first: as the first run of a new playbook).
   */
  firstApply: Measured[];
  /** The same first apply with the playbook's parse cached, as after a plan of it. Absent from results written before it was measured. */
  firstApplyCached?: Measured[];
  /** nodeform apply of a one-line change to every file. */
  change: Measured[];
  /** nodeform reset --to original (removes every file). */
  reset: Measured[];
}

/** A plan of `files` files on hosts that once managed `history` files, next to the same plan on clean hosts. */
export interface HistoryCell {
  history: number;
  files: number;
  hosts: number;
  /** What the first host kept after the reset: original records and backup blobs under /var/lib/nodeform. */
  originals: number;
  blobs: number;
  afterHistory: Measured[];
  /** The floor: the same plan once the hosts' files and nodeform state are wiped. */
  clean: Measured[];
}

const STEP_NAMES: Record<Step, string> = {
  plan: 'plan (Ansible: --check --diff), one change pending',
  first: 'first apply',
  noop: 'no-op apply',
  change: 'apply after one file changed',
};
const STEP_ORDER: Step[] = ['plan', 'first', 'noop', 'change'];
const TOOLS: Tool[] = ['nodeform', 'ansible', 'ansible-tuned'];

const s = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '–');
const x = (a: number, b: number, decimals = 1): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(decimals)}×` : '–');
/** A target's ratio: two decimals, so that one just over its bound (1.502×) does not read as the bound (1.5×). */
const xt = (a: number, b: number): string => x(a, b, 2);
const mb = (kb: number): string => (Number.isFinite(kb) ? (kb / 1024).toFixed(0) : '–');
const kib = (b: number): string => (Number.isFinite(b) ? (b / 1024).toFixed(1) : '–');

function find(r: Results, tool: Tool, step: Step, hosts: number, latencyMs: number): StepResult | undefined {
  return r.steps.find((e) => e.tool === tool && e.step === step && e.hosts === hosts && e.latencyMs === latencyMs);
}
const wall = (e?: StepResult): number => (e ? median(e.samples.map((v) => v.wallMs)) : NaN);
const cpu = (e?: StepResult): number => (e ? median(e.samples.map((v) => v.cpuS)) : NaN);
const rss = (e?: StepResult): number => (e ? Math.max(...e.samples.map((v) => v.maxRssKb)) : NaN);

export function renderMarkdown(r: Results): string {
  const out: string[] = [];
  const m = r.machine;
  out.push('# nodeform benchmark', '');
  out.push(`Command: \`${r.command}\` (from the repository root, as root)  `);
  out.push(`Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}, ${m.ansible ?? 'no Ansible'}, nodeform ${m.nodeform ?? '?'}  `);
  out.push(`Run: ${r.started} – ${r.finished ?? '?'}  `);
  const load = (l?: number[]) => (l ? l.map((v) => v.toFixed(2)).join(' / ') : '?');
  out.push(`Machine load (1 / 5 / 15 min averages): ${load(m.loadAtStart)} at the start, ${load(m.loadAtEnd)} at the end`, '');
  // The comparison (--hosts); a run of the other cells alone has none.
  if (r.steps.length > 0) {
    out.push(
      'Medians of the runs, wall-clock seconds of the command as a user runs it (`node bin/nodeform.js …`, `ansible-playbook …`, each a child',
      'process). Ansible "stock" is as shipped (forks 5, no pipelining, ControlPersist 60s, interpreter discovery); "tuned" adds',
      'pipelining, forks = hosts and interpreter_python. Both with gather_facts: false (no task needs facts). Floor: TCP connect, SSH',
      'handshake and login, one `true` exec per host, all in parallel, in-process (ssh2). The plan runs on converged hosts with one',
      'pending change (bench.conf), the change apply then makes it.',
      '',
    );
  }
  const opts = r.options as { runs?: number; ansibleRuns?: number };
  if (opts.runs !== undefined) {
    out.push(
      `Runs per cell: nodeform ${opts.runs}, Ansible ${opts.ansibleRuns ?? opts.runs} (a median of one run is that run). Commands run with a minimal`,
      'environment (PATH, HOME, LANG). nodeform runs from its build: `npm run build` bundles it into dist/nodeform.cjs, which',
      'bin/nodeform.js compiles with a V8 code cache per command; the first run of each command in a fresh HOME writes that cache',
      '(a cold start), later runs read it.',
      '',
    );
  }

  const latencies = [...new Set(r.steps.map((e) => e.latencyMs))].sort((a, b) => a - b);
  const hostCounts = [...new Set(r.steps.map((e) => e.hosts))].sort((a, b) => a - b);
  if (r.steps.length > 0) {
    out.push('## Time', '');
    out.push('| +RTT | hosts | step | nodeform s | stock s | tuned s | floor s | stock ÷ nodeform | tuned ÷ nodeform | nodeform ÷ floor |');
    out.push('| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const l of latencies) {
      for (const h of hostCounts) {
        const floor = r.floor.find((f) => f.hosts === h && f.latencyMs === l)?.medianMs ?? NaN;
        for (const step of STEP_ORDER) {
          const [nf, st, tu] = TOOLS.map((t) => wall(find(r, t, step, h, l)));
          out.push(`| ${l} ms | ${h} | ${STEP_NAMES[step]} | ${s(nf!)} | ${s(st!)} | ${s(tu!)} | ${step === 'plan' ? s(floor) : ''} | ${x(st!, nf!)} | ${x(tu!, nf!)} | ${step === 'plan' ? x(nf!, floor) : ''} |`);
        }
      }
    }
    out.push('');

    out.push('## Controller CPU and memory', '');
    out.push('CPU: user+sys seconds of the command and every process it waited for (for Ansible, plus its ControlPersist masters, read before');
    out.push('they are closed). Peak memory: max RSS of the largest single process (getrusage), MiB; Ansible\'s forks each have their own.', '');
    out.push('| +RTT | hosts | step | nodeform CPU s | stock CPU s | tuned CPU s | nodeform MiB | stock MiB | tuned MiB |');
    out.push('| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const l of latencies) {
      for (const h of hostCounts) {
        for (const step of STEP_ORDER) {
          const es = TOOLS.map((t) => find(r, t, step, h, l));
          out.push(`| ${l} ms | ${h} | ${step} | ${es.map((e) => (e ? cpu(e).toFixed(2) : '–')).join(' | ')} | ${es.map((e) => mb(rss(e))).join(' | ')} |`);
        }
      }
    }
    out.push('');
  }

  const wired = r.steps.filter((e) => e.wire.length > 0);
  if (wired.length > 0) {
    out.push('## Bytes on the wire, per host', '');
    out.push('From the delay proxies (SSH handshake and encryption included), mean over runs; KiB up (to the host) / down, and TCP connections.', '');
    out.push('| +RTT | hosts | step | nodeform up/down KiB, conns | stock | tuned |');
    out.push('| ---: | ---: | --- | --- | --- | --- |');
    for (const l of latencies.filter((v) => v > 0)) {
      for (const h of hostCounts) {
        for (const step of STEP_ORDER) {
          const cells = TOOLS.map((t) => {
            const e = find(r, t, step, h, l);
            if (!e || e.wire.length === 0) return '–';
            return `${kib(mean(e.wire.map((w) => w.upPerHost)))} / ${kib(mean(e.wire.map((w) => w.downPerHost)))}, ${mean(e.wire.map((w) => w.connectionsPerHost)).toFixed(1)}`;
          });
          out.push(`| ${l} ms | ${h} | ${step} | ${cells.join(' | ')} |`);
        }
      }
    }
    out.push('');
  }

  if (r.counts.length > 0) {
    out.push('## nodeform SSH execs and payload, per host', '');
    out.push('Counted once per host count with nodeform run in-process (transport stats: exec requests; bytes of command lines and');
    out.push(`stdin sent; stdout+stderr received). Host files: ${Object.entries(r.fileBytes).map(([f, b]) => `${f} ${b} B`).join(', ')}.`, '');
    out.push('| hosts | step | execs | bytes sent | bytes received | file content sent |');
    out.push('| ---: | --- | ---: | ---: | ---: | --- |');
    for (const c of r.counts) {
      out.push(`| ${c.hosts} | ${c.step} | ${c.execsPerHost.toFixed(1)} | ${c.bytesSentPerHost.toFixed(0)} | ${c.bytesReceivedPerHost.toFixed(0)} | ${c.contentSent.join(', ') || 'none'} |`);
    }
    out.push('');
  }

  if (r.scale) {
    const sc = r.scale;
    out.push(`## Scale: nodeform alone on ${sc.hosts} hosts`, '');
    out.push('| boot s | first apply s | plan s (median) | no-op apply s | floor s | plan ÷ floor | plan CPU s | plan MiB |');
    out.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const plan = median(sc.plan.map((v) => v.wallMs));
    const fl = median(sc.floorMs);
    out.push(
      `| ${sc.bootS.toFixed(1)} | ${s(sc.firstApply.wallMs)} | ${s(plan)} | ${s(median(sc.noop.map((v) => v.wallMs)))} | ${s(fl)} | ${x(plan, fl)} | ${median(sc.plan.map((v) => v.cpuS)).toFixed(2)} | ${mb(Math.max(...sc.plan.map((v) => v.maxRssKb)))} |`,
      '',
    );
  }

  if (r.bigFiles?.length) {
    out.push('## Large files', '');
    out.push('One file of random bytes declared with `source:` on each host, medians of the runs. Floors in the same run: `sha256sum` of the');
    out.push('file on the controller, and `ssh host cat FILE > /dev/null` to every host at once (OpenSSH, a file of the same size on each');
    out.push('host). First apply: hosts without the file, the digest cache cold, and again with the digest cached (as after a plan). No-op plan: digest cache cold (the file is hashed) and');
    out.push('warm (cached by path, size and mtime). ssh upload: the same bytes sent the way the apply sends them, `ssh host \'cat > F &&');
    out.push('sync F\' < FILE` to every host at once, a second floor for the first apply; not written: the same with `cat > /dev/null` on the');
    out.push('hosts (what writing the file costs them is the difference). MiB: the controller\'s peak RSS (largest of the runs).', '');
    out.push('| MB | hosts | sha256sum s | ssh cat s | ssh upload s | ssh upload, not written s | no-op plan cold s | ÷ (sha256sum + cat) | no-op plan warm s | ÷ (sha256sum + cat) | first apply s | ÷ ssh cat | ÷ ssh upload | first apply, digest cached s | ÷ ssh cat | plan MiB | apply MiB |');
    out.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const cpuRows: string[] = [];
    for (const c of r.bigFiles) {
      const m = wallOf;
      const peak = peakOf;
      const floorPlan = m(c.sha256sum) + m(c.sshCat);
      cpuRows.push(...bigFileCpuRows(c, r.machine.cores));
      out.push(
        `| ${c.mb} | ${c.hosts} | ${s(m(c.sha256sum))} | ${s(m(c.sshCat))} | ${c.sshUpload ? s(m(c.sshUpload)) : ''} | ${c.sshUploadDiscarded ? s(m(c.sshUploadDiscarded)) : ''} | ${s(m(c.planCold))} | ${x(m(c.planCold), floorPlan)} | ${s(m(c.planWarm))} | ${x(m(c.planWarm), floorPlan)} | ${s(m(c.firstApply))} | ${x(m(c.firstApply), m(c.sshCat))} | ${c.sshUpload ? x(m(c.firstApply), m(c.sshUpload)) : ''} | ${c.firstApplyCached ? s(m(c.firstApplyCached)) : ''} | ${c.firstApplyCached ? x(m(c.firstApplyCached), m(c.sshCat)) : ''} | ${mb(Math.max(peak(c.planCold), peak(c.planWarm)))} | ${mb(Math.max(peak(c.firstApply), c.firstApplyCached ? peak(c.firstApplyCached) : 0))} |`,
      );
    }
    out.push('');
    if (cpuRows.length) {
      out.push('Where the CPU goes, medians of the runs: the controller\'s (the command and every process it waited for) and the');
      out.push('lab hosts\' (their cgroups, over the same time), against the wall time; the hosts and the controller share this');
      out.push(`machine's ${r.machine.cores} cores, so a step cannot take less wall time than its total CPU ÷ ${r.machine.cores}.`, '');
      out.push('| MB | step | wall s | controller CPU s | hosts CPU s | total CPU ÷ cores s |');
      out.push('| ---: | --- | ---: | ---: | ---: | ---: |');
      out.push(...cpuRows, '');
    }
  }

  if (r.manyFiles?.length || r.history) out.push(...renderFilesMarkdown(r), '');

  if (r.equivalence.length > 0) {
    const same = r.equivalence.every((e) => e.identical);
    out.push('## Same result', '');
    out.push(same
      ? 'After the first apply, each tool left the first host with identical paths, modes, owners, contents (sha256) and unit state.'
      : `The tools left DIFFERENT states (see "equivalence" in the JSON): ${r.equivalence.filter((e) => !e.identical).map((e) => `${e.hosts} hosts +${e.latencyMs} ms`).join(', ')}.`, '');
  }

  out.push('## Targets', '');
  out.push(...targets(r), '');
  return out.join('\n');
}

function targets(r: Results): string[] {
  const lines: string[] = [];
  const check = (ok: boolean | undefined, text: string): void => {
    lines.push(`- ${ok === undefined ? '(not measured)' : ok ? 'met' : '**not met**'}: ${text}`);
  };
  const l0 = r.steps.length > 0 ? Math.min(...r.steps.map((e) => e.latencyMs)) : 0;
  for (const h of [3, 10]) {
    for (const step of ['plan', 'noop'] as const) {
      const nf = wall(find(r, 'nodeform', step, h, l0));
      const st = wall(find(r, 'ansible', step, h, l0));
      const ratio = st / nf;
      check(Number.isFinite(ratio) ? ratio >= 30 : undefined, `${step} ≥30× faster than stock Ansible at ${h} hosts (+${l0} ms): ${x(st, nf)}`);
    }
  }
  for (const f of r.floor) {
    const nf = wall(find(r, 'nodeform', 'plan', f.hosts, f.latencyMs));
    check(Number.isFinite(nf) ? nf <= 2 * f.medianMs : undefined, `plan within 2× the floor at ${f.hosts} hosts +${f.latencyMs} ms: ${x(nf, f.medianMs)}`);
  }
  const counted = (step: Step) => r.counts.filter((c) => c.step === step);
  const plans = counted('plan');
  check(plans.length ? plans.every((c) => c.execsPerHost === 1) : undefined, `one exec per host for a plan: ${plans.map((c) => c.execsPerHost).join(', ')}`);
  const total = Object.values(r.fileBytes).reduce((a, b) => a + b, 0);
  const biggest = Math.max(...Object.values(r.fileBytes));
  const noops = counted('noop');
  check(noops.length ? noops.every((c) => c.contentSent.length === 0) : undefined,
    `no-op apply sends no file content: content of ${[...new Set(noops.flatMap((c) => c.contentSent))].join(', ') || 'no file'} sent; ${noops.map((c) => `${c.bytesSentPerHost.toFixed(0)} B`).join(', ')} sent per host (all files ${total} B, largest ${biggest} B)`);
  const changes = counted('change');
  check(changes.length ? changes.every((c) => c.contentSent.join() === 'bench.conf.hbs') : undefined,
    `one-file change sends only that file (bench.conf): content of ${[...new Set(changes.flatMap((c) => c.contentSent))].join(', ') || 'no file'} sent; ${changes.map((c) => `${c.bytesSentPerHost.toFixed(0)} B`).join(', ')} sent per host (a no-op sends ${noops.map((n) => n.bytesSentPerHost.toFixed(0)).join(', ')} B: the probe)`);
  if (r.scale) {
    const plan = median(r.scale.plan.map((v) => v.wallMs));
    check(r.scale.hosts >= 100 ? plan < 3000 : undefined, `${r.scale.hosts}-host plan under 3 s: ${s(plan)} s`);
  } else check(undefined, '100-host plan under 3 s');
  for (const c of r.bigFiles ?? []) {
    const m = wallOf;
    const floorPlan = m(c.sha256sum) + m(c.sshCat);
    check(m(c.planCold) <= 1.5 * floorPlan, `${c.mb} MB file on ${c.hosts} hosts: no-op plan (digest cache cold) within 1.5× of sha256sum + ssh cat: ${xt(m(c.planCold), floorPlan)}`);
    check(m(c.firstApply) <= 1.5 * m(c.sshCat), `${c.mb} MB file on ${c.hosts} hosts: first apply within 1.5× of ssh cat: ${xt(m(c.firstApply), m(c.sshCat))}`);
    const peak = Math.max(...[...c.planCold, ...c.planWarm, ...c.firstApply, ...(c.firstApplyCached ?? [])].map((v) => v.maxRssKb));
    check(peak < 150 * 1024, `${c.mb} MB file: controller RSS under 150 MB: ${mb(peak)} MiB`);
  }
  const many = (r.manyFiles ?? []).filter((c) => c.files >= 5000 && c.hosts >= 3);
  if (many.length === 0) check(undefined, '5,000 files on 3 hosts: no-op plan under 3 s, first apply within 3× of the tar floor, reset within 3× of the apply');
  for (const c of many) {
    const at = `${c.files} files on ${c.hosts} hosts`;
    check(wallOf(c.noopPlan) < 3000, `${at}: no-op plan under 3 s: ${s(wallOf(c.noopPlan))} s`);
    check(wallOf(c.firstApply) <= 3 * wallOf(c.tarFloor), `${at}: first apply within 3× of tar c | ssh tar x: ${xt(wallOf(c.firstApply), wallOf(c.tarFloor))}`);
    check(wallOf(c.reset) <= 3 * wallOf(c.firstApply), `${at}: reset within 3× of the first apply: ${xt(wallOf(c.reset), wallOf(c.firstApply))}`);
  }
  const h = r.history;
  check(h && h.history >= 5000 ? wallOf(h.afterHistory) <= 1.2 * wallOf(h.clean) : undefined,
    `plan of 10 files after 5,000 were once managed within 1.2× of clean hosts${h ? `: after ${h.history}, ${xt(wallOf(h.afterHistory), wallOf(h.clean))}` : ''}`);
  return lines;
}

const wallOf = (xs: Measured[]): number => median(xs.map((v) => v.wallMs));

/** The large-file cell's steps whose hosts' CPU was measured: wall, controller and hosts CPU, medians. */
function bigFileCpuRows(c: BigFileCell, cores: number): string[] {
  const steps: [string, Measured[] | undefined][] = [
    ['ssh cat (floor)', c.sshCat],
    ['ssh upload', c.sshUpload],
    ['ssh upload, not written', c.sshUploadDiscarded],
    ['first apply, digest cache cold', c.firstApply],
    ['first apply, digest cached', c.firstApplyCached],
    ['no-op plan, digest cache cold', c.planCold],
  ];
  return steps.flatMap(([step, xs]) => {
    if (!xs?.length || xs.some((v) => v.hostsCpuS === undefined)) return [];
    const controller = median(xs.map((v) => v.cpuS));
    const hosts = median(xs.map((v) => v.hostsCpuS!));
    return [`| ${c.mb} | ${step} | ${(wallOf(xs) / 1000).toFixed(2)} | ${controller.toFixed(2)} | ${hosts.toFixed(2)} | ${((controller + hosts) / cores).toFixed(2)} |`];
  });
}
const peakOf = (xs: Measured[]): number => (xs.length ? Math.max(...xs.map((v) => v.maxRssKb)) : NaN);

/** The many-files and history sections (also what test/bench/files.ts prints when run alone). */
export function renderFilesMarkdown(r: Pick<Results, 'manyFiles' | 'history'>): string[] {
  const out: string[] = [];
  if (r.manyFiles?.length) {
    out.push('## Many files', '');
    out.push('Small files (about 200 bytes, in 10 directories, each with a `{{ many_rev }}` line) declared per host, medians of the runs.');
    out.push('Each run: hosts without the files or nodeform state, first apply with the controller\'s playbook parse cache emptied');
    out.push('(`~/.cache/nodeform/parse`, as the first run of a new playbook), hosts wiped again and the first apply with the parse');
    out.push('cached (as after a plan), no-op plan (`--detailed-exitcode`, exit 0), a one-line');
    out.push('change to every file (`-e many_rev=N`), `reset --to original`. Floors in the same run, to every host at once (OpenSSH):');
    out.push('`tar c` of the same files on the controller piped to `ssh host tar x`, and `ssh host` running `sha256sum` of every file');
    out.push('(what a no-op plan reads at least). MiB: the controller\'s peak RSS (largest process, largest of the runs).', '');
    out.push('| files | hosts | step | nodeform s | floor | floor s | ÷ floor | controller MiB | note |');
    out.push('| ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | --- |');
    for (const c of r.manyFiles) {
      const tar = wallOf(c.tarFloor);
      const hash = wallOf(c.hashFloor);
      const row = (step: string, xs: Measured[], floor: string, floorMs: number, note = '') =>
        out.push(`| ${c.files} | ${c.hosts} | ${step} | ${s(wallOf(xs))} | ${floor} | ${s(floorMs)} | ${x(wallOf(xs), floorMs)} | ${mb(peakOf(xs))} | ${note} |`);
      row('no-op plan', c.noopPlan, 'ssh sha256sum', hash);
      row('first apply', c.firstApply, 'tar c \\| ssh tar x', tar, c.firstApplyCached ? 'playbook parse cache cold' : '');
      if (c.firstApplyCached) row('first apply', c.firstApplyCached, 'tar c \\| ssh tar x', tar, 'playbook parse cached (as after a plan)');
      row('one-line change to every file', c.change, 'tar c \\| ssh tar x', tar);
      row('reset --to original', c.reset, 'tar c \\| ssh tar x', tar, `${x(wallOf(c.reset), wallOf(c.firstApply))} the first apply`);
    }
    out.push('');
  }
  const h = r.history;
  if (h) {
    out.push('## History', '');
    out.push(`A plan of ${h.files} of the same files on ${h.hosts} hosts that once managed ${h.history} (applied, changed and reset to original:`);
    out.push('their original records and backups stay), next to its floor in the same run: the same plan once the hosts\' files and');
    out.push('nodeform state are wiped. Medians of the runs; MiB: the controller\'s peak RSS.', '');
    out.push('| files planned | once managed | plan s | clean hosts s | ÷ clean | MiB | clean MiB | left on the first host |');
    out.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    out.push(
      `| ${h.files} | ${h.history} | ${s(wallOf(h.afterHistory))} | ${s(wallOf(h.clean))} | ${x(wallOf(h.afterHistory), wallOf(h.clean))} | ${mb(peakOf(h.afterHistory))} | ${mb(peakOf(h.clean))} | ${h.originals} original records, ${h.blobs} blobs |`,
    );
  }
  return out;
}
