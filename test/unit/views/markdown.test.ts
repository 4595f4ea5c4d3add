// plan --format markdown: the pull-request comment against a reviewed golden, secrets masked, escaping, and the
// split of a large plan into comments under GitHub's 65,536 characters that lose nothing when joined.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Change, HostPlan, Plan } from '../../../src/model/plan.js';
import { COMMENT_LIMIT, formatMarkdownPlan, markdownComments, partLine } from '../../../src/views/markdown.js';
import { applyPlan } from './fixtures.js';

const goldenPath = new URL('./golden/plan.md', import.meta.url);

/** The views fixture plan, with what plan --format markdown adds: each reached host's drift check. */
const withDrift: Plan = {
  ...applyPlan,
  hosts: applyPlan.hosts.map((h): HostPlan => {
    if (h.host === 'lab1') return { ...h, drift: { generation: 4, finishedAt: '2026-11-22T10:00:01Z', drift: [{ kind: 'file', target: '/etc/core/app.conf', field: 'content', recorded: null, live: null }, { kind: 'unit', target: 'core-app.service', field: 'active', recorded: 'active', live: 'failed' }] } };
    if (h.host === 'lab2') return { ...h, drift: { generation: 2, drift: [] } };
    return h;
  }),
};

describe('plan --format markdown', () => {
  it('renders the fixture plan as the reviewed golden (test/unit/views/golden/plan.md)', () => {
    const text = formatMarkdownPlan(withDrift);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(goldenPath, text);
    if (!existsSync(goldenPath)) throw new Error('golden plan.md is missing: UPDATE_GOLDEN=1 npx vitest run test/unit/views/markdown.test.ts, and review it');
    expect(text).toBe(readFileSync(goldenPath, 'utf8'));
    // A plan this small is one comment, the whole text.
    expect(markdownComments(withDrift)).toEqual([text]);
  });

  it('warns about removals and wipes, says when drift was not checked, and shows a secret\'s content as hidden', () => {
    const text = formatMarkdownPlan(applyPlan);
    expect(text).toMatch(/\[!WARNING\]\n> \*\*This plan removes 1 item\(s\):\*\* unit <code>core-other.service<\/code> on <code>lab1<\/code>/);
    expect(text).toMatch(/\[!CAUTION\]\n> \*\*Chain data will be wiped\*\* on 1 host\(s\): <code>lab1<\/code>/);
    expect(text).toContain('Not checked');
    // The fixture's secret carries a plain sha256 (no real plan does): the comment masks it all the same.
    expect(text).toContain('file <code>/etc/core/jwt.hex</code> (content=(sensitive)) (content hidden: secret)');
    expect(text).not.toContain('ccccc');
    expect(text).toContain('(content hidden: secret)');
    expect(text).not.toContain('diff of <code>/etc/core/jwt.hex');
    const leaky: Plan = { formatVersion: 1, kind: 'apply', hosts: [{ host: 'a', changes: [{ kind: 'file', action: 'update', target: '/k', attributes: [{ name: 'content', before: 'x', after: 'y' }], diff: '-old-secret\n+new-secret\n', secret: true, precondition: { exists: true } }], warnings: [], managedAfter: [] }] };
    expect(formatMarkdownPlan(leaky)).not.toContain('secret\n');
    expect(formatMarkdownPlan(leaky)).not.toContain('new-secret');
    const quiet: Plan = { formatVersion: 1, kind: 'apply', hosts: [{ host: 'a', changes: [], warnings: [], managedAfter: [] }] };
    expect(formatMarkdownPlan(quiet)).not.toMatch(/WARNING|CAUTION/);
  });

  it('escapes what hosts and files say: no HTML, no markdown, and a diff with backticks keeps its fence', () => {
    const change: Change = {
      kind: 'file', action: 'update', target: '/etc/<b>x</b>', attributes: [{ name: 'content', before: 'a', after: 'b' }],
      diff: '@@ -1 +1 @@\n-```\n+````</details>\n', secret: false, precondition: { exists: true },
    };
    const plan: Plan = { formatVersion: 1, kind: 'apply', hosts: [{ host: 'h*1', changes: [change], warnings: ['<img src=x> **bold**'], managedAfter: [] }] };
    const text = formatMarkdownPlan(plan);
    expect(text).toContain('<code>/etc/&lt;b&gt;x&lt;/b&gt;</code>');
    expect(text).toContain('&lt;img src=x&gt; \\*\\*bold\\*\\*');
    expect(text).toContain('`````diff\n@@ -1 +1 @@\n-```\n+````</details>\n`````');
  });

  it('splits a 200-host plan into comments under 65,536 characters, at block boundaries, losing nothing', () => {
    const hosts: HostPlan[] = Array.from({ length: 200 }, (_, i) => {
      const host = `node-${String(i).padStart(3, '0')}.fleet.example`;
      const lines = Array.from({ length: 40 }, (__, j) => `-OPTION_${j}=old-value-for-${host}\n+OPTION_${j}=new-value-for-${host}`).join('\n');
      const changes: Change[] = [
        { kind: 'file', action: 'update', target: '/etc/ethereum/geth.env', attributes: [{ name: 'content', before: 'sha256:aaaa', after: 'sha256:bbbb' }], diff: `@@ -1,40 +1,40 @@\n${lines}\n`, secret: false, precondition: { exists: true } },
        { kind: 'unit', action: 'restart', target: 'geth.service', reason: 'input /etc/ethereum/geth.env changed', attributes: [], secret: false, precondition: { exists: true } },
        ...(i % 50 === 0 ? [{ kind: 'file', action: 'delete', target: '/etc/old.conf', reason: 'no longer declared', attributes: [], secret: false, precondition: { exists: true } } satisfies Change] : []),
      ];
      return { host, changes, warnings: [], managedAfter: [], drift: { generation: 3, drift: i === 7 ? [{ kind: 'file', target: '/etc/ethereum/geth.env', field: 'mode', recorded: '0644', live: '0666' }] : [] } };
    });
    const plan: Plan = { formatVersion: 1, kind: 'apply', hosts };
    const whole = formatMarkdownPlan(plan);
    expect(whole.length).toBeGreaterThan(4 * COMMENT_LIMIT);
    const parts = markdownComments(plan);
    expect(parts.length).toBeGreaterThan(4);
    parts.forEach((part, index) => {
      expect(part.length).toBeLessThan(COMMENT_LIMIT);
      expect(part.startsWith(`${partLine(index + 1, parts.length)}\n\n`)).toBe(true);
      // Never inside a code block or a details element: each part opens and closes as many as it has.
      expect(part.match(/^```/gm)?.length ?? 0).toBe((part.match(/```diff/g)?.length ?? 0) * 2);
      expect(part.match(/<details>/g)?.length ?? 0).toBe(part.match(/<\/details>/g)?.length ?? 0);
    });
    const joined = parts.map((part, index) => part.slice(`${partLine(index + 1, parts.length)}\n\n`.length).replace(/\n$/, '')).join('\n\n');
    expect(`${joined}\n`).toBe(whole);
    // The title, the removal warning and the summary lead the first comment; drift closes the last.
    expect(parts[0]).toMatch(/## nodeform plan\n\n> \[!WARNING\]\n> \*\*This plan removes 4 item/);
    expect(parts[0]).toContain('**Plan: 0 to create, 200 to update, 4 to remove, 200 to restart, on 200 of 200 host(s).**');
    expect(parts.at(-1)).toContain('<code>node-007.fleet.example</code> (since generation 3): file /etc/ethereum/geth.env: mode: 0644 -&gt; 0666');
  });

  it('folds a diff longer than a comment into several whole code blocks', () => {
    const diff = `@@ -1,5000 +1,5000 @@\n${Array.from({ length: 5000 }, (_, i) => `+line ${i} ${'x'.repeat(30)}`).join('\n')}\n`;
    const plan: Plan = { formatVersion: 1, kind: 'apply', hosts: [{ host: 'big', changes: [{ kind: 'file', action: 'update', target: '/big', attributes: [{ name: 'content', before: 'a', after: 'b' }], diff, secret: false, precondition: { exists: true } }], warnings: [], managedAfter: [] }] };
    const parts = markdownComments(plan);
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) expect(part.length).toBeLessThan(COMMENT_LIMIT);
    const shown = parts.join('').match(/^\+line \d+ x+$/gm) ?? [];
    expect(shown).toHaveLength(5000);
  });
});
