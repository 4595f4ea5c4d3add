// `nodeform providers`: each group of hosts that shares a provider decision, as a table or JSON. Pure.

import type { ProviderGroup } from '../plan/provider-groups.js';
import { percent } from '../node/quorum.js';
import { painter } from './paint.js';
import { FORMAT_VERSION, jsonText, type ViewOptions, type Writer } from './writer.js';

const shortRoot = (root: string) => (root.length > 14 ? `${root.slice(0, 8)}…${root.slice(-4)}` : root);

export function formatProviderGroups(groups: readonly ProviderGroup[], options: { color: boolean }): string {
  const paint = painter(options.color);
  const blocks = groups.map(({ hosts, decision }) => {
    const rows = decision.providers.map((p) => {
      const role = p.url === decision.chosen ? 'chosen' : decision.alternatives.includes(p.url) ? 'alternative' : p.status;
      return [
        p.url,
        role,
        p.status === 'no-answer' ? '-' : `${p.latencyMs} ms`,
        p.finalized ? String(p.finalized.epoch) : '-',
        p.finalized ? shortRoot(p.finalized.root) : '-',
        p.servesStates ? 'yes' : 'no',
        p.reason ?? '',
      ];
    });
    const header = ['PROVIDER', 'STATUS', 'LATENCY', 'EPOCH', 'ROOT', 'STATES', 'WHY'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
    const style = (role: string) => (role === 'chosen' ? 'green' : role === 'alternative' || role === 'agrees' ? 'dim' : role === 'undecided' ? 'yellow' : 'red');
    const pct = percent(decision.threshold);
    const agreeing = decision.providers.filter((p) => p.status === 'agrees').length;
    const voters = decision.providers.filter((p) => p.status === 'agrees' || p.status === 'dissents' || p.status === 'undecided').length;
    const verdict = decision.checkpoint
      ? `trusted checkpoint: epoch ${decision.checkpoint.epoch} root ${decision.checkpoint.root} (${agreeing} of ${voters} voting providers agree; more than ${pct} needed)`
      : paint('red', `no trusted checkpoint: ${decision.reason ?? 'no quorum'}`);
    const choice = decision.chosen ? `start from: ${decision.chosen}` : paint('red', `no provider chosen: ${decision.reason ?? 'no quorum'}`);
    return [
      paint('bold', `${hosts.join(', ')}`),
      `  ${line(header)}`,
      ...rows.map((r) => `  ${paint(style(r[1]!), line(r))}`),
      `  ${verdict}`,
      ...(decision.checkpoint ? [`  ${choice}`] : []),
    ].join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}

export interface ProvidersView {
  providers(groups: readonly ProviderGroup[]): void;
}

export class ProvidersHuman implements ProvidersView {
  constructor(
    private readonly out: Writer,
    private readonly options: ViewOptions,
  ) {}

  providers(groups: readonly ProviderGroup[]): void {
    this.out.stdout(formatProviderGroups(groups, this.options));
  }
}

export class ProvidersJson implements ProvidersView {
  constructor(private readonly out: Writer) {}

  providers(groups: readonly ProviderGroup[]): void {
    this.out.stdout(jsonText({ format_version: FORMAT_VERSION, groups }));
  }
}
