// `nodeform plan`: the plan in the style of Terraform (+ create, ~ update, - delete, restarts, per host), or as
// JSON in the shape of schemas/plan.schema.json. Also the plan apply and reset show before they ask. Pure.

import type { AttributeChange, Change, HostPlan, Plan } from '../model/plan.js';
import { countsLine } from '../model/plan.js';
import { painter, type Paint, type Style } from './paint.js';
import { COMMENT_BREAK, markdownComments, type MarkdownOptions } from './markdown.js';
import { jsonText, type ViewOptions, type Writer } from './writer.js';

export type FormatOptions = ViewOptions;

const SYMBOL: Record<Change['action'], { mark: string; style: Style }> = {
  create: { mark: '+', style: 'green' },
  update: { mark: '~', style: 'yellow' },
  delete: { mark: '-', style: 'red' },
  restart: { mark: '↻', style: 'cyan' },
};

function describeAttributes(change: Change): string {
  const parts = change.attributes.map((a: AttributeChange) => {
    if (change.action === 'create' || a.before === null) return `${a.name}=${a.after ?? '∅'}`;
    if (a.after === null) return `${a.name}=${a.before}`;
    return `${a.name}: ${a.before} -> ${a.after}`;
  });
  return parts.join(', ');
}

/** A diff's lines as shown, made once per plan for the hosts that share the diff (most do, file by file). */
type DiffLines = Map<string, string[]>;

export function formatChange(change: Change, paint: Paint, diffLines: DiffLines = new Map()): string[] {
  const { mark, style } = SYMBOL[change.action];
  const label = change.action === 'restart' ? `restart ${change.kind} ${change.target}` : `${change.kind} ${change.target}`;
  if (change.kind === 'wipe') return [`  ${paint('red', `! ${change.reason ?? `wipe ${change.target}`}`)}`];
  const details = [describeAttributes(change), change.reason ?? ''].filter(Boolean).join('; ');
  const lines = [`  ${paint(style, `${mark} ${label}`)}${details ? `  (${details})` : ''}`];
  if (change.secret && change.attributes.some((a) => a.name === 'content')) lines.push(paint('dim', '      (content hidden: secret)'));
  if (change.diff) {
    let shown = diffLines.get(change.diff);
    if (!shown) {
      shown = [];
      for (const line of change.diff.replace(/\n$/, '').split('\n')) {
        const s: Style | undefined = line.startsWith('+') ? 'green' : line.startsWith('-') ? 'red' : line.startsWith('@@') ? 'cyan' : undefined;
        shown.push(`      ${s ? paint(s, line) : line}`);
      }
      diffLines.set(change.diff, shown);
    }
    for (const line of shown) lines.push(line);
  }
  return lines;
}

export function formatHostPlan(host: HostPlan, options: FormatOptions, diffLines: DiffLines = new Map()): string {
  const paint = painter(options.color);
  const lines = [paint('bold', host.resetTo ? `${host.host} (reset to ${host.resetTo})` : host.host)];
  if (host.error) lines.push(`  ${paint('red', `error: ${host.error}`)}`);
  else if (host.changes.length === 0) lines.push('  no changes');
  for (const change of host.changes) for (const line of formatChange(change, paint, diffLines)) lines.push(line);
  for (const note of host.notes ?? []) lines.push(`  ${paint('dim', note)}`);
  const held = host.held ?? [];
  if (held.length > 0) {
    const reasons = [...new Set(held.map((h) => h.reason))];
    for (const reason of reasons) {
      const targets = held.filter((h) => h.reason === reason).map((h) => h.target);
      lines.push(`  ${paint('yellow', `held (${reason}): ${targets.join(', ')}`)}`);
    }
  }
  for (const warning of host.warnings) lines.push(`  ${paint('yellow', `warning: ${warning}`)}`);
  return lines.join('\n');
}

export function formatPlan(plan: Plan, options: FormatOptions): string {
  const diffLines: DiffLines = new Map();
  const blocks = plan.hosts.map((h) => formatHostPlan(h, options, diffLines));
  const failed = plan.hosts.filter((h) => h.error).length;
  const summary = countsLine(plan);
  const holding = plan.hosts.filter((h) => h.held?.length).length;
  const tail = `${failed ? ` ${failed} host(s) could not be planned.` : ''}${holding ? ` ${holding} host(s) hold items back (see held).` : ''}`;
  return `${blocks.join('\n\n')}\n\n${summary}${tail}\n`;
}

export interface PlanView {
  plan(plan: Plan): void;
  /** The plan was saved with --out. */
  saved(file: string): void;
}

export class PlanHuman implements PlanView {
  constructor(
    private readonly out: Writer,
    private readonly options: ViewOptions,
  ) {}

  plan(plan: Plan): void {
    this.out.stdout(formatPlan(plan, this.options));
  }

  saved(file: string): void {
    this.out.stderr(`plan saved to ${file}; apply it with: nodeform apply --plan ${file}\n`);
  }
}

/** The plan as schemas/plan.schema.json describes it (its own formatVersion): nothing else goes to stdout. */
export class PlanJson implements PlanView {
  constructor(private readonly out: Writer) {}

  plan(plan: Plan): void {
    this.out.stdout(jsonText(plan));
  }

  saved(): void {
    // The caller named the file: stdout stays one plan document.
  }
}

/** The plan as pull-request comments (views/markdown.ts), separated by COMMENT_BREAK on stdout. */
export class PlanMarkdown implements PlanView {
  constructor(
    private readonly out: Writer,
    private readonly options: MarkdownOptions,
  ) {}

  plan(plan: Plan): void {
    this.out.stdout(markdownComments(plan, this.options).join(COMMENT_BREAK));
  }

  saved(file: string): void {
    this.out.stderr(`plan saved to ${file}; apply it with: nodeform apply --plan ${file}\n`);
  }
}
