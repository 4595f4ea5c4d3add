// `nodeform plan --format markdown`: the plan as a pull-request comment, in the shape Terraform users know from
// tfcmt: a title, a warning when anything is removed or chain data is wiped, a one-line summary, the changes per
// host, each diff folded in <details>, what changed outside nodeform (drift) in its own section. Secrets stay
// masked: a secret change has no diff in the plan, and its content shows as "(sensitive)". Pure.
//
// A forge limits a comment's size (GitHub: 65,536 characters), so the comment is made of blocks that are never
// cut (a heading, a list item, a whole <details> element with its code block), packed into as few comments as fit;
// a diff too long for one block is folded into several, each a whole code block. Each comment after the split
// starts with one line saying "part i of n"; the comments are separated by COMMENT_BREAK.

import type { Change, HostPlan, Plan } from '../model/plan.js';
import { countsLine } from '../model/plan.js';
import { describeDrift, driftStatus, NO_RECORD } from './drift.js';

/** GitHub's limit on a comment's body, in characters. */
export const COMMENT_LIMIT = 65_536;

/** Between two comments on stdout: a pipeline splits on it and posts each part. */
export const COMMENT_BREAK = '\n<!-- nodeform: next comment -->\n';

export interface MarkdownOptions {
  /** Words after the title (a shard, an environment). */
  titleSuffix?: string;
  /** The most characters one comment may have (less than this); COMMENT_LIMIT by default. */
  limit?: number;
}

/** Text as markdown that renders as itself: HTML and markdown's own characters escaped. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!).replace(/([\\`*_[\]|#~])/g, '\\$1');
}

/** Inline code that renders as itself whatever it holds (HTML <code>, escaped). */
function code(text: string): string {
  return `<code>${text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!)}</code>`;
}

/** A fenced block that nothing in `body` can close: the fence is longer than any run of backticks in it. */
function fenced(language: string, body: string): string {
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${body.replace(/\n$/, '')}\n${fence}`;
}

const MARK: Record<Change['action'], string> = { create: '+', update: '~', delete: '-', restart: '↻' };

function attributesText(change: Change): string {
  // A secret's content is "(sensitive)" in any plan nodeform makes; said again here, whatever the plan holds.
  const masked = (a: Change['attributes'][number]) => (change.secret && a.name === 'content' ? { ...a, before: a.before && '(sensitive)', after: a.after && '(sensitive)' } : a);
  return change.attributes
    .map(masked)
    .map((a) => {
      if (change.action === 'create' || a.before === null) return `${a.name}=${a.after ?? '∅'}`;
      if (a.after === null) return `${a.name}=${a.before}`;
      return `${a.name}: ${a.before} → ${a.after}`;
    })
    .join(', ');
}

function changeLine(change: Change): string {
  if (change.kind === 'wipe') return `- ⚠️ **wipe** ${escapeMarkdown(change.reason ?? change.target)}`;
  const label = change.action === 'restart' ? `restart unit ${code(change.target)}` : `${change.kind} ${code(change.target)}`;
  const details = [attributesText(change), change.reason ?? ''].filter(Boolean).map(escapeMarkdown).join('; ');
  const secret = change.secret && change.attributes.some((a) => a.name === 'content') ? ' (content hidden: secret)' : '';
  return `- \`${MARK[change.action]}\` ${label}${details ? ` (${details})` : ''}${secret}`;
}

/** The diff of one change as one or more <details> blocks, none longer than `room`. */
function diffBlocks(host: string, change: Change, room: number): string[] {
  if (!change.diff || change.secret) return []; // a secret has no diff in any plan nodeform makes: never shown here either
  const what = `${change.kind === 'unit' ? 'unit ' : ''}${change.target}`;
  const element = (body: string, part: string) => `<details><summary>diff of ${code(what)} on ${code(host)}${part}</summary>\n\n${fenced('diff', body)}\n\n</details>`;
  const whole = element(change.diff, '');
  if (whole.length <= room) return [whole];
  // Cut between lines, each piece a whole code block; the overhead of one element is at most that of the longest label.
  const overhead = element('', ' (lines 999999–999999)').length + 16;
  const lines = change.diff.replace(/\n$/, '').split('\n');
  const pieces: { from: number; lines: string[] }[] = [];
  let current: string[] = [];
  let size = 0;
  let from = 1;
  lines.forEach((line, index) => {
    // A line longer than a whole comment is cut too (rare: a minified file).
    const parts = line.length + overhead + 1 > room ? (line.match(new RegExp(`.{1,${room - overhead - 1}}`, 'gs')) ?? ['']) : [line];
    for (const part of parts) {
      if (current.length > 0 && size + part.length + 1 + overhead > room) {
        pieces.push({ from, lines: current });
        current = [];
        size = 0;
        from = index + 1;
      }
      current.push(part);
      size += part.length + 1;
    }
  });
  if (current.length > 0) pieces.push({ from, lines: current });
  return pieces.map((p) => element(p.lines.join('\n'), ` (lines ${p.from}–${p.from + p.lines.length - 1} of the diff)`));
}

function removals(plan: Plan): { host: string; change: Change }[] {
  return plan.hosts.flatMap((h) => h.changes.filter((c) => c.action === 'delete' && c.kind !== 'wipe').map((change) => ({ host: h.host, change })));
}

function wipes(plan: Plan): { host: string; change: Change }[] {
  return plan.hosts.flatMap((h) => h.changes.filter((c) => c.kind === 'wipe').map((change) => ({ host: h.host, change })));
}

export function summaryLine(plan: Plan): string {
  const failed = plan.hosts.filter((h) => h.error).length;
  return `${countsLine(plan)}${failed ? ` ${failed} host(s) could not be planned.` : ''}`;
}

/** The comment as blocks, in order; none is ever cut. */
export function markdownBlocks(plan: Plan, options: MarkdownOptions = {}): string[] {
  const limit = options.limit ?? COMMENT_LIMIT;
  // A block must fit in a comment with the part line in front and room to spare.
  const room = limit - 200;
  const blocks: string[] = [];
  const title = `## nodeform ${plan.kind === 'reset' ? 'reset plan' : 'plan'}${options.titleSuffix ? `: ${escapeMarkdown(options.titleSuffix)}` : ''}`;
  blocks.push(title);
  const removed = removals(plan);
  const wiped = wipes(plan);
  if (removed.length > 0) {
    const listed = removed.slice(0, 10).map(({ host, change }) => `${change.kind} ${code(change.target)} on ${code(host)}`);
    const more = removed.length > 10 ? `, and ${removed.length - 10} more` : '';
    blocks.push(`> [!WARNING]\n> **This plan removes ${removed.length} item(s):** ${listed.join(', ')}${more}. Check them carefully before merging.`);
  }
  if (wiped.length > 0) {
    const hosts = [...new Set(wiped.map((w) => w.host))];
    blocks.push(`> [!CAUTION]\n> **Chain data will be wiped** on ${hosts.length} host(s): ${hosts.map(code).join(', ')}. The clients resync from a checkpoint.`);
  }
  blocks.push(`**${summaryLine(plan)}**`);

  const changed = plan.hosts.filter((h) => h.changes.length > 0 && !h.error);
  if (changed.length > 0) blocks.push('### Changes');
  for (const host of changed) {
    blocks.push(`#### ${code(host.host)}${host.resetTo ? ` (reset to ${escapeMarkdown(host.resetTo)})` : ''}`);
    for (const change of host.changes) {
      blocks.push(changeLine(change));
      blocks.push(...diffBlocks(host.host, change, room));
    }
    blocks.push(...hostExtras(host));
  }
  const quiet = plan.hosts.filter((h) => h.changes.length === 0 && !h.error);
  if (quiet.length > 0) {
    for (let i = 0; i < quiet.length; i += 200) {
      const some = quiet.slice(i, i + 200).map((h) => code(h.host)).join(', ');
      blocks.push(i === 0 ? `No changes on ${quiet.length} host(s): ${some}` : `No changes (continued): ${some}`);
    }
    for (const host of quiet) blocks.push(...hostExtras(host).map((b) => `${code(host.host)}: ${b.replace(/^- /, '')}`));
  }
  const failed = plan.hosts.filter((h) => h.error);
  if (failed.length > 0) {
    blocks.push('### Hosts that could not be planned');
    for (const host of failed) blocks.push(`- ${code(host.host)}: ${escapeMarkdown(host.error!)}`);
  }
  blocks.push(...driftBlocks(plan));
  return blocks.flatMap((b) => chunkLongBlock(b, room));
}

/** Notes, held items and warnings of a host, one list item each. */
function hostExtras(host: HostPlan): string[] {
  const out: string[] = [];
  for (const note of host.notes ?? []) out.push(`- ℹ️ ${escapeMarkdown(note)}`);
  for (const held of host.held ?? []) out.push(`- ⏸️ held: ${escapeMarkdown(held.target)} (${escapeMarkdown(held.reason)})`);
  for (const warning of host.warnings) out.push(`- ⚠️ ${escapeMarkdown(warning)}`);
  return out;
}

function driftBlocks(plan: Plan): string[] {
  const blocks = ['### Drift: changes made outside nodeform'];
  const checked = plan.hosts.filter((h) => h.drift && !h.error);
  if (checked.length === 0) return [...blocks, 'Not checked (the plan was made without reading the hosts\' records of their last apply).'];
  let any = false;
  for (const host of checked) {
    const status = driftStatus({ host: host.host, check: host.drift! });
    if (status === 'in-sync') continue;
    any = true;
    if (status === 'no-record') blocks.push(`- ${code(host.host)}: ${escapeMarkdown(NO_RECORD)}`);
    else for (const item of host.drift!.drift) blocks.push(`- ${code(host.host)} (since generation ${host.drift!.generation}): ${escapeMarkdown(describeDrift(item))}`);
  }
  if (!any) blocks.push(`None: ${checked.length} host(s) are as their last apply left them.`);
  return blocks;
}

/** A block that is not a diff but still too long (a huge warning): cut between lines, never inside a code span. */
function chunkLongBlock(block: string, room: number): string[] {
  const out: string[] = [];
  let rest = block;
  while (rest.length > room) {
    const space = rest.lastIndexOf(' ', room);
    const cut = space > room / 2 ? space : room;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, '');
  }
  return [...out, rest];
}

/** The whole comment, unsplit: the blocks joined. */
export function formatMarkdownPlan(plan: Plan, options: MarkdownOptions = {}): string {
  return `${markdownBlocks(plan, options).join('\n\n')}\n`;
}

/** The line a comment of a split starts with. */
export function partLine(index: number, count: number): string {
  return `_nodeform plan, part ${index} of ${count}_`;
}

/**
 * The comment split into parts each shorter than the limit, at block boundaries only. One part is the comment
 * itself; otherwise each part starts with partLine(i, n) and a blank line, and dropping those lines and joining
 * the parts with a blank line gives formatMarkdownPlan back.
 */
export function markdownComments(plan: Plan, options: MarkdownOptions = {}): string[] {
  const limit = options.limit ?? COMMENT_LIMIT;
  const blocks = markdownBlocks(plan, options);
  const whole = `${blocks.join('\n\n')}\n`;
  if (whole.length < limit) return [whole];
  const header = `${partLine(999, 999)}\n\n`.length;
  const groups: string[][] = [[]];
  let size = header;
  for (const block of blocks) {
    const current = groups.at(-1)!;
    const added = block.length + (current.length > 0 ? 2 : 0) + 1;
    if (current.length > 0 && size + added >= limit) {
      groups.push([block]);
      size = header + block.length + 1;
    } else {
      current.push(block);
      size += added;
    }
  }
  return groups.map((group, index) => `${partLine(index + 1, groups.length)}\n\n${group.join('\n\n')}\n`);
}
