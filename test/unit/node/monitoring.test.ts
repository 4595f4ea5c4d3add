// The node's monitoring settings and src/monitor's stall policy: one set of defaults, read by both the status
// command (through NodeSpec.monitoring.stall) and the on-host monitor.
import { describe, expect, it } from 'vitest';
import { MONITOR_DEFAULTS, type StallPolicy } from '../../../src/monitor/sync.js';
import { MONITORING_DEFAULTS } from '../../../src/node/defaults.js';
import { nodeSpecFor } from '../../../src/node/spec.js';

describe('monitoring defaults', () => {
  it('the node\'s stall policy defaults are src/monitor\'s', () => {
    const stall: StallPolicy = MONITORING_DEFAULTS.stall;
    expect(stall).toEqual(MONITOR_DEFAULTS);
  });

  it('a NodeSpec\'s stall settings are a StallPolicy as they are', () => {
    const spec = nodeSpecFor({ network: 'mainnet', consensus: { client: 'teku' }, execution: { client: 'besu' }, monitoring: { window_seconds: 600 } }, 'lab1').spec!;
    const policy: StallPolicy = spec.monitoring.stall;
    expect(policy).toEqual({ ...MONITOR_DEFAULTS, windowSeconds: 600 });
  });
});
