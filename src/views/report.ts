// `nodeform report merge FILE...`: the JSON results of the shards of one run (--shard I/N) merged into the one
// report a single run over all the hosts gives. Pure: the CLI reads the files.
//
// Each shard's document is of one kind: a plan (plan --json, schemas/plan.schema.json), an apply or reset
// (schemas/output.schema.json `apply`), a drift report (`drift`) or a history (`history`). All must be of the same
// kind. The hosts of all shards are listed by name (a shard does not know the inventory's order), and the
// summary is counted again over them; a host in two files is refused (the shards overlap: not one run's shards).

import { NodeformError } from '../errors.js';
import type { Plan } from '../model/plan.js';
import { formatPlan } from './plan.js';
import { FORMAT_VERSION, jsonText, type ViewOptions, type Writer } from './writer.js';

export type ReportKind = 'plan' | 'apply' | 'drift' | 'history';

interface HostEntry {
  host: string;
  status?: string;
}

type JsonObject = Record<string, unknown>;

export interface MergedReport {
  kind: ReportKind;
  document: JsonObject;
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

function kindOf(file: string, document: unknown): ReportKind {
  if (isObject(document)) {
    if (document.formatVersion === 1 && Array.isArray(document.hosts) && (document.kind === 'apply' || document.kind === 'reset')) return 'plan';
    if (document.format_version === FORMAT_VERSION && Array.isArray(document.hosts)) {
      if (isObject(document.plan) && isObject(document.summary)) return 'apply';
      if (isObject(document.summary) && 'in_sync' in document.summary) return 'drift';
      if (document.hosts.every((h) => isObject(h) && Array.isArray(h.generations))) return 'history';
    }
  }
  throw new NodeformError(
    'CONFIG',
    `${file}: not a JSON result nodeform report merge knows (plan --json, apply/reset --json --yes, drift --json, history --json)`,
  );
}

const byName = <T extends HostEntry>(hosts: T[]): T[] => [...hosts].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));

function countBy(hosts: readonly HostEntry[], keys: readonly string[]): Record<string, number> {
  return Object.fromEntries(keys.map((key) => [key, hosts.filter((h) => h.status === key).length]));
}

/** The documents of one run's shards (file name and parsed JSON) merged into one. */
export function mergeReports(inputs: readonly { file: string; document: unknown }[]): MergedReport {
  if (inputs.length === 0) throw new NodeformError('USAGE', 'report merge needs at least one file');
  const kinds = inputs.map((i) => kindOf(i.file, i.document));
  const kind = kinds[0]!;
  const other = inputs.find((_, index) => kinds[index] !== kind);
  if (other) throw new NodeformError('CONFIG', `${other.file}: a ${kinds[inputs.indexOf(other)]} result, but ${inputs[0]!.file} is a ${kind} result: merge the shards of one command`);
  const documents = inputs.map((i) => i.document as JsonObject);
  const seen = new Map<string, string>();
  for (const [index, document] of documents.entries()) {
    for (const host of document.hosts as HostEntry[]) {
      const first = seen.get(host.host);
      if (first !== undefined) throw new NodeformError('CONFIG', `host ${host.host} is in both ${first} and ${inputs[index]!.file}: these are not the shards of one run`);
      seen.set(host.host, inputs[index]!.file);
    }
  }
  const hosts = byName(documents.flatMap((d) => d.hosts as HostEntry[]));
  switch (kind) {
    case 'plan': {
      const kinds = new Set(documents.map((d) => d.kind));
      if (kinds.size > 1) throw new NodeformError('CONFIG', 'the plans to merge are of different kinds (apply and reset)');
      return { kind, document: { formatVersion: 1, kind: documents[0]!.kind, hosts } };
    }
    case 'apply': {
      const plans = documents.map((d) => d.plan as Plan);
      const plan: Plan = { formatVersion: 1, kind: plans[0]!.kind, hosts: byName(plans.flatMap((p) => p.hosts)) };
      const statuses = Object.keys(documents[0]!.summary as JsonObject).filter((key) => key !== 'held');
      const held = (plan.hosts as { held?: unknown[] }[]).filter((h) => h.held?.length).length;
      return {
        kind,
        document: {
          format_version: FORMAT_VERSION,
          plan,
          confirmed: documents.every((d) => d.confirmed === true),
          hosts,
          summary: { ...countBy(hosts, statuses), held },
        },
      };
    }
    case 'drift': {
      const c = countBy(hosts, ['in-sync', 'drifted', 'no-record', 'error']);
      return {
        kind,
        document: { format_version: FORMAT_VERSION, hosts, summary: { in_sync: c['in-sync'], drifted: c.drifted, no_record: c['no-record'], error: c.error } },
      };
    }
    case 'history':
      return { kind, document: { format_version: FORMAT_VERSION, hosts } };
  }
}

/** How the merged run ended, as the command would have: the exit code's outcome. */
export function mergedOutcome(report: MergedReport, detailedExitcode: boolean): 'success' | 'failure' | 'changesPending' | 'drifted' {
  const hosts = report.document.hosts as (HostEntry & { error?: unknown; changes?: unknown[] })[];
  switch (report.kind) {
    case 'plan':
      if (hosts.some((h) => h.error !== undefined)) return 'failure';
      return detailedExitcode && hosts.some((h) => (h.changes?.length ?? 0) > 0) ? 'changesPending' : 'success';
    case 'apply': {
      const summary = report.document.summary as Record<string, number>;
      const bad = Object.entries(summary).some(([key, n]) => key !== 'applied' && key !== 'unchanged' && n > 0);
      return bad || report.document.confirmed !== true ? 'failure' : 'success';
    }
    case 'drift':
      if (hosts.some((h) => h.status === 'error')) return 'failure';
      return hosts.some((h) => h.status !== 'in-sync') ? 'drifted' : 'success';
    case 'history':
      return hosts.some((h) => h.error !== undefined) ? 'failure' : 'success';
  }
}

export interface ReportView {
  report(report: MergedReport, files: number): void;
}

export class ReportJson implements ReportView {
  constructor(private readonly out: Writer) {}

  report(report: MergedReport): void {
    this.out.stdout(jsonText(report.document));
  }
}

export class ReportHuman implements ReportView {
  constructor(
    private readonly out: Writer,
    private readonly options: ViewOptions,
  ) {}

  report(report: MergedReport, files: number): void {
    const hosts = report.document.hosts as (HostEntry & { error?: { message?: string } | string })[];
    const head = `Merged ${files} ${report.kind} result(s): ${hosts.length} host(s).\n`;
    if (report.kind === 'plan') {
      this.out.stdout(`${head}\n${formatPlan(report.document as unknown as Plan, this.options)}`);
      return;
    }
    const lines = hosts.map((h) => {
      const error = typeof h.error === 'string' ? h.error : h.error?.message;
      return `  ${h.host}${h.status ? `  ${h.status}` : ''}${error ? `: ${error.split('\n')[0]}` : ''}`;
    });
    const summary = isObject(report.document.summary)
      ? `\n${Object.entries(report.document.summary).map(([key, n]) => `${String(n)} ${key.replace('_', '-')}`).join(', ')}.\n`
      : '';
    this.out.stdout(`${head}${lines.join('\n')}\n${summary}`);
  }
}
