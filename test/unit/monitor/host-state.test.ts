// The one exec of `status` per host: the command it runs, and its output read back (units, iteration, checkpoint).
import { describe, expect, it } from 'vitest';
import type { NodeSpec } from '../../../src/clients/types.js';
import { checkpointStart, hostStateCommand, parseHostState } from '../../../src/monitor/host-state.js';
import { nodeSpecFor } from '../../../src/node/spec.js';

const spec = (vars: Record<string, unknown>): NodeSpec => {
  const result = nodeSpecFor({ network: 'ephemery', consensus: { client: 'teku' }, execution: { client: 'besu' }, ...vars }, 'lab1');
  expect(result.problems).toEqual([]);
  return result.spec!;
};
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('host state', () => {
  it('asks systemctl for both units and reads the iteration and checkpoint files', () => {
    const line = hostStateCommand(spec({}));
    expect(line).toContain("systemctl show --property=LoadState,ActiveState,SubState,NRestarts -- teku.service");
    expect(line).toContain('-- besu.service');
    expect(line).toContain('/etc/ethereum/ephemery/iteration');
    expect(line).toContain('/etc/ethereum/teku.checkpoint.env');
    expect(hostStateCommand(spec({ network: 'mainnet' }))).not.toContain('iteration');
  });

  it('reads units, the iteration and the provider (redacted) from the output', () => {
    const s = spec({});
    const out = [
      '@unit teku.service',
      'LoadState=loaded',
      'ActiveState=active',
      'SubState=running',
      'NRestarts=2',
      '@unit besu.service',
      'LoadState=not-found',
      'ActiveState=inactive',
      '@file /etc/ethereum/ephemery/iteration',
      b64('212\n'),
      '@file /etc/ethereum/teku.checkpoint.env',
      b64('NODEFORM_CHECKPOINT="--checkpoint-sync-url=https://user:secret@cp.example/?key=abc"\n'),
      '',
    ].join('\n');
    const state = parseHostState(s, out);
    expect(state.units).toEqual([
      { name: 'teku.service', active: 'active', sub: 'running', restarts: 2 },
      { name: 'besu.service', active: 'not-found' },
    ]);
    expect(state.iteration).toBe(212);
    expect(state.checkpoint.source).toBe('provider');
    expect(JSON.stringify(state)).not.toContain('secret');
    expect(JSON.stringify(state)).not.toContain('abc');
    expect(state.checkpoint.from).toContain('cp.example');
  });

  it('tells the fleet cache, a switch of the fallback, genesis and nothing known', () => {
    const s = spec({});
    expect(checkpointStart(s, 'NODEFORM_CHECKPOINT="--initial-state=/var/cache/nodeform/checkpoint-state.ssz"')).toEqual({
      source: 'fleet-cache',
      from: '/var/cache/nodeform/checkpoint-state.ssz',
    });
    const switched = checkpointStart(
      s,
      '# Switched by nodeform-checkpoint-fallback at 2026-01-01T00:00:00Z: https://a.example -> https://b.example: a did not answer\nX="--checkpoint-sync-url=https://b.example"',
    );
    expect(switched).toMatchObject({ source: 'provider', from: 'https://b.example', switched: { from: 'https://a.example', to: 'https://b.example', why: 'a did not answer' } });
    expect(checkpointStart(spec({ checkpoint_sync: { enabled: false } }), '')).toEqual({ source: 'genesis' });
    expect(checkpointStart(s, '')).toEqual({ source: 'unknown' });
  });
});
