// `nodeform plan`: the plan in the style of Terraform (+ create, ~ update, - delete, restarts, per host), or as
// JSON in the shape of schemas/plan.schema.json. Also the plan apply and reset show before they ask. Pure.

import type { Change, HostPlan, Plan } from '../model/plan.js';
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
  let text = '';
  for (const a of change.attributes) {
    if (text) text += ', ';
    if (change.action === 'create' || a.before === null) text += `${a.name}=${a.after ?? '∅'}`;
    else if (a.after === null) text += `${a.name}=${a.before}`;
    else text += `${a.name}: ${a.before} -> ${a.after}`;
  }
  return text;
}

/** A diff's lines as shown, made once per plan for the hosts that share the diff (most do, file by file). */
type DiffLines = Map<string, string[]>;

/** A diff's lines as shown, joined: what a host's block holds of it, made once per plan too. */
type DiffBlocks = Map<string, string>;

function diffShown(diff: string, paint: Paint, diffLines: DiffLines): string[] {
  let shown = diffLines.get(diff);
  if (!shown) {
    shown = [];
    for (const line of diff.replace(/\n$/, '').split('\n')) {
      const s: Style | undefined = line.startsWith('+') ? 'green' : line.startsWith('-') ? 'red' : line.startsWith('@@') ? 'cyan' : undefined;
      shown.push(`      ${s ? paint(s, line) : line}`);
    }
    diffLines.set(diff, shown);
  }
  return shown;
}

/** The lines of a change before its diff: what and how, and the note that a secret's content is hidden. */
function changeHead(change: Change, paint: Paint): string[] {
  const { mark, style } = SYMBOL[change.action];
  if (change.kind === 'wipe') return [`  ${paint('red', `! ${change.reason ?? `wipe ${change.target}`}`)}`];
  const label = change.action === 'restart' ? `restart ${change.kind} ${change.target}` : `${change.kind} ${change.target}`;
  const attributes = describeAttributes(change);
  const details = attributes && change.reason ? `${attributes}; ${change.reason}` : attributes || (change.reason ?? '');
  const head = [`  ${paint(style, `${mark} ${label}`)}${details ? `  (${details})` : ''}`];
  if (change.secret && change.attributes.some((a) => a.name === 'content')) head.push(paint('dim', '      (content hidden: secret)'));
  return head;
}

/**
 * A change's lines as shown. With `diffBlocks`, its diff comes as one element, the lines joined (once per plan for
 * the hosts that share the diff): the same text in far fewer pieces, for a host's block.
 */
export function formatChange(change: Change, paint: Paint, diffLines: DiffLines = new Map(), diffBlocks?: DiffBlocks): string[] {
  const head = changeHead(change, paint);
  if (change.kind === 'wipe' || !change.diff) return head;
  if (!diffBlocks) return [...head, ...diffShown(change.diff, paint, diffLines)];
  let block = diffBlocks.get(change.diff);
  if (block === undefined) {
    block = diffShown(change.diff, paint, diffLines).join('\n');
    diffBlocks.set(change.diff, block);
  }
  return [...head, block];
}

export function formatHostPlan(host: HostPlan, options: FormatOptions, diffLines: DiffLines = new Map(), diffBlocks: DiffBlocks = new Map()): string {
  const paint = painter(options.color);
  const lines = [paint('bold', host.resetTo ? `${host.host} (reset to ${host.resetTo})` : host.host)];
  if (host.error) lines.push(`  ${paint('red', `error: ${host.error}`)}`);
  else if (host.changes.length === 0) lines.push('  no changes');
  for (const change of host.changes) for (const line of formatChange(change, paint, diffLines, diffBlocks)) lines.push(line);
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
  return [...planPieces(plan, options)].join('');
}

/**
 * formatPlan's text in pieces, a host's block at a time: a view writes each as it is made, so a plan of thousands
 * of files per host is never held whole (with its bytes for the terminal) while the hosts' scripts are.
 */
export function* planPieces(plan: Plan, options: FormatOptions): Generator<string, void, void> {
  const diffLines: DiffLines = new Map();
  const diffBlocks: DiffBlocks = new Map();
  let first = true;
  for (const host of plan.hosts) {
    yield `${first ? '' : '\n\n'}${formatHostPlan(host, options, diffLines, diffBlocks)}`;
    first = false;
  }
  const failed = plan.hosts.filter((h) => h.error).length;
  const summary = countsLine(plan);
  const holding = plan.hosts.filter((h) => h.held?.length).length;
  const tail = `${failed ? ` ${failed} host(s) could not be planned.` : ''}${holding ? ` ${holding} host(s) hold items back (see held).` : ''}`;
  yield `\n\n${summary}${tail}\n`;
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
    for (const piece of planPieces(plan, this.options)) this.out.stdout(piece);
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
