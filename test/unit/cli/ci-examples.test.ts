// The CI examples in playbooks/examples/ci/ (GitHub Actions, GitLab CI): they parse as YAML, and every nodeform
// command line in them is one nodeform's own parser (src/cli/arguments.ts) accepts, with its variables filled in
// from the files' env/variables and matrix; exit code 2 is always handled on purpose, never lost in a pipe.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseCommandLine, type CommandLine } from '../../../src/cli/arguments.js';
import { COMMENT_BREAK } from '../../../src/views/markdown.js';

const root = new URL('../../../playbooks/examples/ci/', import.meta.url);
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Script {
  job: string;
  text: string;
  vars: Record<string, string>;
}

/** GitHub Actions: each step's `run`, with the workflow's, job's and step's env and the first matrix value. */
function githubScripts(doc: Json): Script[] {
  const out: Script[] = [];
  for (const [job, spec] of Object.entries(doc.jobs as Json)) {
    if (!isObject(spec)) continue;
    const matrix = isObject(spec.strategy) && isObject(spec.strategy.matrix) ? spec.strategy.matrix : {};
    const matrixFirst = Object.fromEntries(Object.entries(matrix).map(([k, v]) => [k, String((v as unknown[])[0])]));
    for (const step of (spec.steps as Json[]) ?? []) {
      if (typeof step.run !== 'string') continue;
      const env = { ...(doc.env as Json), ...(spec.env as Json), ...(step.env as Json) };
      const vars = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_, m: string) => matrixFirst[m] ?? '')]));
      out.push({ job, text: step.run, vars });
    }
  }
  return out;
}

/** GitLab CI: each job's before_script and script lines, with the file's variables and parallel's CI_NODE_*. */
function gitlabScripts(doc: Json): Script[] {
  const reserved = new Set(['stages', 'variables', 'workflow', 'include']);
  const out: Script[] = [];
  for (const [job, spec] of Object.entries(doc)) {
    if (reserved.has(job) || !isObject(spec)) continue;
    const vars: Record<string, string> = { ...(doc.variables as Record<string, string>), ...(spec.variables as Record<string, string>) };
    if (typeof spec.parallel === 'number') Object.assign(vars, { CI_NODE_INDEX: '1', CI_NODE_TOTAL: String(spec.parallel) });
    for (const key of ['before_script', 'script']) {
      for (const line of (spec[key] as unknown[] | undefined) ?? []) {
        // A script line with ": " in it must be quoted, or YAML reads a mapping (GitLab refuses the file).
        if (typeof line !== 'string') throw new Error(`${job}.${key}: a line that is not a string: ${JSON.stringify(line)}`);
        out.push({ job, text: line, vars });
      }
    }
  }
  return out;
}

/** Shell words of a command up to the first unquoted operator; $VAR and ${VAR} expanded, unknown ones refused. */
function words(text: string, vars: Record<string, string>): { words: string[]; stop: string } {
  const out: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  const expand = (name: string) => {
    if (!(name in vars)) throw new Error(`unknown variable $${name} in: ${text}`);
    return vars[name]!;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (c === '$' && (quote === '"' || quote === undefined)) {
      const m = /^\$(?:\{(\w+)\}|(\w+))/.exec(text.slice(i));
      if (m) {
        word = (word ?? '') + expand(m[1] ?? m[2]!);
        i += m[0].length - 1;
        continue;
      }
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
      continue;
    }
    if (/[|;&<>]/.test(c)) {
      if (word !== undefined) out.push(word);
      return { words: out, stop: text.slice(i, i + 2).trim() };
    }
    if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
      continue;
    }
    word = (word ?? '') + c;
  }
  if (word !== undefined) out.push(word);
  return { words: out, stop: '' };
}

interface Invocation {
  file: string;
  job: string;
  line: string;
  parsed: CommandLine;
  stop: string;
}

function invocations(file: string, scripts: Script[]): Invocation[] {
  const found: Invocation[] = [];
  for (const script of scripts) {
    for (const line of script.text.replace(/\\\n\s*/g, ' ').split('\n')) {
      const m = /(?:^|;|&&|\|\||\bthen)\s*(?:npx\s+)?nodeform\s+(.*)$/.exec(line.trim());
      if (!m) continue;
      const { words: argv, stop } = words(m[1]!, script.vars);
      const parsed = parseCommandLine(argv, '/srv/repo');
      if (parsed.kind !== 'command') throw new Error(`${file} ${script.job}: "${line}" is not a command`);
      found.push({ file, job: script.job, line, parsed: parsed.line, stop });
    }
  }
  return found;
}

const files = {
  'github-actions.yaml': githubScripts,
  'gitlab-ci.yaml': gitlabScripts,
} as const;

describe.each(Object.entries(files))('%s', (name, scriptsOf) => {
  const text = readFileSync(new URL(name, root), 'utf8');
  const doc = YAML.parse(text) as Json;
  const found = invocations(name, scriptsOf(doc));

  it('parses, and nodeform\'s own parser accepts every nodeform command line in it', () => {
    expect(isObject(doc)).toBe(true);
    // plan on a pull request (markdown), plan --out and apply --plan on merge, drift in shards and its merge.
    const uses = found.map((f) => f.parsed.command);
    expect(new Set(uses)).toEqual(new Set(['plan', 'apply', 'drift', 'report']));
    expect(found.some((f) => f.parsed.command === 'plan' && f.parsed.format === 'markdown')).toBe(true);
    expect(found.some((f) => f.parsed.command === 'plan' && f.parsed.out !== undefined)).toBe(true);
    expect(found.some((f) => f.parsed.command === 'apply' && f.parsed.savedPlan !== undefined && f.parsed.yes)).toBe(true);
    expect(found.some((f) => f.parsed.command === 'drift' && f.parsed.shard?.count === 2)).toBe(true);
    expect(found.some((f) => f.parsed.command === 'report' && f.parsed.reportFiles?.length)).toBe(true);
  });

  it('keeps exit code 2 visible: --detailed-exitcode and drift shards catch it on purpose, and no nodeform output is piped', () => {
    for (const f of found) {
      expect(f.stop, f.line).not.toBe('|');
      if (f.parsed.detailedExitcode || f.parsed.command === 'drift') expect(f.line, f.line).toMatch(/\|\| code=\$\?$/);
    }
    // The split marker the posting script uses is nodeform's.
    expect(text).toContain(COMMENT_BREAK.trim());
  });
});
