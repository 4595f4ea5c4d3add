// In-memory results of each command, covering every branch of their human rendering: the view goldens
// (test/unit/views/golden) were written from the rendering as it was before it moved to src/views.
import type { HostResult } from '../../../src/model/results.js';
import type { Plan } from '../../../src/model/plan.js';
import type { GenerationSummary } from '../../../src/model/types.js';
import type { CheckpointDecision } from '../../../src/model/types.js';

const sha = (c: string) => c.repeat(64);

export const applyPlan: Plan = {
  formatVersion: 1,
  kind: 'apply',
  hosts: [
    {
      host: 'lab1',
      changes: [
        {
          kind: 'directory',
          action: 'create',
          target: '/etc/core',
          attributes: [
            { name: 'mode', before: null, after: '0755' },
            { name: 'owner', before: null, after: 'root' },
          ],
          secret: false,
          precondition: { exists: false },
        },
        {
          kind: 'file',
          action: 'update',
          target: '/etc/core/app.conf',
          attributes: [
            { name: 'content', before: sha('a'), after: sha('b') },
            { name: 'mode', before: '0600', after: '0640' },
          ],
          diff: '@@ -1,2 +1,2 @@\n-greeting = edited\n+greeting = hello\n host = lab1\n',
          secret: false,
          precondition: { exists: true, sha256: sha('a') },
          after: { sha256: sha('b'), mode: '0640', owner: 'root', group: 'root' },
          content: { from: 'desired' },
        },
        {
          kind: 'file',
          action: 'create',
          target: '/etc/core/jwt.hex',
          attributes: [{ name: 'content', before: null, after: sha('c') }],
          secret: true,
          precondition: { exists: false },
          after: { sha256: sha('c'), mode: '0600', owner: 'root', group: 'root' },
          content: { from: 'desired' },
        },
        {
          kind: 'unit',
          action: 'delete',
          target: 'core-other.service',
          reason: 'no longer declared',
          attributes: [
            { name: 'active', before: 'true', after: null },
            { name: 'enabled', before: 'true', after: null },
          ],
          secret: false,
          precondition: { exists: true, sha256: sha('d') },
        },
        {
          kind: 'unit',
          action: 'restart',
          target: 'core-app.service',
          reason: 'input /etc/core/app.conf changed',
          attributes: [],
          secret: false,
          precondition: { exists: true },
        },
        {
          kind: 'wipe',
          action: 'delete',
          target: '/var/lib/geth',
          reason: 'ephemery iteration 161 -> 162: stop clients, wipe chain data keeping node identity',
          attributes: [],
          secret: false,
          precondition: { exists: true },
        },
      ],
      warnings: ['/srv/x is a directory on the host, not a file: nodeform will not replace it'],
      managedAfter: [],
      notes: ['checkpoint: https://a.example (finalized epoch 1234)'],
      held: [
        { target: '/etc/ethereum/lighthouse.env', reason: 'no checkpoint quorum' },
        { target: 'lighthouse.service', reason: 'no checkpoint quorum' },
      ],
    },
    { host: 'lab2', changes: [], warnings: [], managedAfter: [] },
    { host: 'lab3', changes: [], warnings: [], managedAfter: [], error: 'lab3: cannot connect: connect ECONNREFUSED 127.0.0.13:22' },
  ],
};

export const quietPlan: Plan = {
  formatVersion: 1,
  kind: 'reset',
  hosts: [
    { host: 'lab1', changes: [], warnings: [], managedAfter: [], resetTo: 'generation 3' },
    { host: 'lab2', changes: [], warnings: [], managedAfter: [] },
  ],
};

export const applyResults: HostResult[] = [
  { host: 'lab1', status: 'applied', generation: 4, events: ['WROTE /etc/core/app.conf'], durationMs: 1234 },
  { host: 'lab2', status: 'unchanged', events: [], durationMs: 0 },
  { host: 'lab3', status: 'unreachable', events: [], error: 'lab3: cannot connect: connect ECONNREFUSED 127.0.0.13:22', durationMs: 0 },
  { host: 'lab4', status: 'drifted', generation: 5, events: [], error: 'refused: the host drifted since the plan:\n    /etc/core/app.conf content changed since the plan', durationMs: 321 },
  { host: 'lab5', status: 'locked', events: [], error: 'locked by another nodeform run (run feedbeef from ops@elsewhere, pid 12) since 2026-11-22T10:00:00Z', durationMs: 2050 },
  { host: 'lab6', status: 'failed', events: [], error: 'upload of a 12-byte file failed: exit 1', durationMs: 10 },
];

const generations: GenerationSummary[] = [
  { id: 1, action: 'apply', startedAt: '2026-11-22T10:00:00Z', finishedAt: '2026-11-22T10:00:01Z', complete: true, changes: 3, controller: 'ops@desk' },
  { id: 12, action: 'reset-original', startedAt: '2026-11-22T11:00:00Z', complete: false, changes: 17, controller: 'ci@runner' },
];

export const historyRows = [
  { host: 'lab1', error: undefined, generations },
  { host: 'lab2', error: undefined, generations: [] },
  { host: 'lab3', error: 'lab3: cannot connect: timed out', generations: [] },
];

const agreeing: CheckpointDecision = {
  quorum: true,
  threshold: 2 / 3,
  checkpoint: { epoch: 1234, root: `0x${'f1'.repeat(32)}` },
  chosen: 'https://a.example',
  alternatives: ['https://b.example'],
  providers: [
    { url: 'https://a.example', status: 'agrees', latencyMs: 40, servesStates: true, finalized: { epoch: 1234, root: `0x${'f1'.repeat(32)}` } },
    { url: 'https://b.example', status: 'agrees', latencyMs: 55, servesStates: true, finalized: { epoch: 1234, root: `0x${'f1'.repeat(32)}` } },
    { url: 'https://c.example', status: 'agrees', latencyMs: 70, servesStates: false, finalized: { epoch: 1234, root: `0x${'f1'.repeat(32)}` }, reason: 'serves no states' },
    { url: 'https://stale.example', status: 'wrong-genesis', latencyMs: 12, servesStates: true, finalized: { epoch: 9, root: '0xabc' }, reason: 'genesis validators root 0xb2b2 is not the network\'s' },
    { url: 'https://dead.example', status: 'no-answer', latencyMs: 0, servesStates: false, reason: 'connect ECONNREFUSED' },
  ],
};

const split: CheckpointDecision = {
  quorum: false,
  threshold: 2 / 3,
  alternatives: [],
  reason: 'no quorum: 1 of 2 voting providers agree, more than 67% needed',
  providers: [
    { url: 'https://a.example', status: 'undecided', latencyMs: 40, servesStates: true, finalized: { epoch: 1234, root: `0x${'f1'.repeat(32)}` } },
    { url: 'https://x.example', status: 'dissents', latencyMs: 41, servesStates: true, finalized: { epoch: 1234, root: `0x${'0e'.repeat(32)}` }, reason: 'finalized root differs' },
  ],
};

export const providerGroupsFixture = [
  { hosts: ['lab1', 'lab2'], decision: agreeing },
  { hosts: ['lab3'], decision: split },
];
