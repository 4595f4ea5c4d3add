import { describe, expect, it } from 'vitest';
import type { SyncSample } from '../../../src/monitor/sync.js';
import { judgeGate, parseUnitShow, unitShowCommand, UNIT_SETTLE_MS, type GateSample, type UnitSample } from '../../../src/rollout/gate.js';

const unit = (name: string, active: string, activeSince = '100', sub = active === 'active' ? 'running' : 'dead'): UnitSample => ({ name, active, sub, activeSince });
const at = (ms: number, units: UnitSample[], sync?: SyncSample): GateSample => ({ at: ms, units, ...(sync ? { sync } : {}) });
const node = (ms: number, head: number, distance: number, extra: Partial<SyncSample['consensus']> = {}, el: SyncSample['execution'] = { reachable: true, blockNumber: 10 }): SyncSample => ({
  at: ms,
  consensus: { reachable: true, headSlot: head, syncDistance: distance, isSyncing: distance > 8, isOptimistic: false, elOffline: false, ...extra },
  execution: el,
});

describe('the health gate', () => {
  it('units: active now and without a restart for the settle time', () => {
    const up = [unit('a.service', 'active')];
    expect(judgeGate([at(0, up)], ['a.service'], 'progressing', 12)).toMatchObject({ passed: false, why: expect.stringContaining('not yet for 5 s') });
    expect(judgeGate([at(0, up), at(UNIT_SETTLE_MS, up)], ['a.service'], 'progressing', 12)).toEqual({ passed: true, why: '1 unit(s) active' });
  });

  it('a client that exits at once and is restarted by systemd never passes, though it is active at moments', () => {
    // Restart=on-failure: active for a moment, then auto-restart, then active again with a new activation time.
    const samples = [
      at(0, [unit('c.service', 'active', '100')]),
      at(2000, [unit('c.service', 'activating', '100', 'auto-restart')]),
      at(6000, [unit('c.service', 'active', '600')]),
      at(8000, [unit('c.service', 'activating', '600', 'auto-restart')]),
      at(12000, [unit('c.service', 'active', '1200')]),
    ];
    for (let n = 1; n <= samples.length; n++) expect(judgeGate(samples.slice(0, n), ['c.service'], 'progressing', 12).passed).toBe(false);
    expect(judgeGate(samples.slice(0, 2), ['c.service'], 'progressing', 12).why).toBe('unit c.service is activating (auto-restart)');
  });

  it('a unit systemd does not know fails to pass, naming it', () => {
    expect(judgeGate([at(0, [])], ['x.service'], 'progressing', 12).why).toBe('unit x.service is not known to systemd');
  });

  it('a node: synced passes either gate; progressing passes only --gate progressing', () => {
    const up = [unit('cl.service', 'active')];
    const synced = [at(0, up, node(0, 100, 0)), at(6000, up, node(6000, 101, 0))];
    expect(judgeGate(synced, ['cl.service'], 'synced', 12)).toMatchObject({ passed: true, why: expect.stringContaining('synced') });
    const syncing = [at(0, up, node(0, 100, 500)), at(6000, up, node(6000, 130, 470))];
    expect(judgeGate(syncing, ['cl.service'], 'progressing', 12)).toMatchObject({ passed: true, why: expect.stringContaining('progressing') });
    expect(judgeGate(syncing, ['cl.service'], 'synced', 12)).toMatchObject({ passed: false, why: expect.stringContaining('not synced') });
  });

  it('a node whose head does not move, whose Beacon API does not answer, or whose execution client is offline does not pass', () => {
    const up = [unit('cl.service', 'active')];
    const still = [at(0, up, node(0, 100, 500)), at(6000, up, node(6000, 100, 500))];
    expect(judgeGate(still, ['cl.service'], 'progressing', 12).passed).toBe(false);
    const down = [at(0, up), at(6000, up, { at: 6000, consensus: { reachable: false, error: 'ECONNREFUSED' } })];
    expect(judgeGate(down, ['cl.service'], 'progressing', 12)).toMatchObject({ passed: false, why: expect.stringContaining('down') });
    const elOffline = [at(0, up, node(0, 100, 0, { elOffline: true })), at(6000, up, node(6000, 101, 0, { elOffline: true }))];
    expect(judgeGate(elOffline, ['cl.service'], 'progressing', 12)).toMatchObject({ passed: false, why: expect.stringContaining('el-offline') });
    const rpcDown = [at(0, up, node(0, 100, 0, {}, { reachable: false })), at(6000, up, node(6000, 101, 0, {}, { reachable: false }))];
    expect(judgeGate(rpcDown, ['cl.service'], 'progressing', 12).passed).toBe(false);
  });

  it('reads systemctl show', () => {
    expect(unitShowCommand(['a.service', "b'.service"])).toBe("systemctl show -p Id -p ActiveState -p SubState -p ActiveEnterTimestampMonotonic -- a.service 'b'\\''.service'");
    const text = 'Id=a.service\nActiveState=active\nSubState=running\nActiveEnterTimestampMonotonic=123\n\nId=b.service\nActiveState=failed\nSubState=failed\nActiveEnterTimestampMonotonic=0\n';
    expect(parseUnitShow(text)).toEqual([unit('a.service', 'active', '123'), { name: 'b.service', active: 'failed', sub: 'failed', activeSince: '0' }]);
  });
});
