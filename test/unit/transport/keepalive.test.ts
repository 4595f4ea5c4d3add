import { describe, expect, it } from 'vitest';
import { DEFAULT_DEAD_LINK_TIMEOUT_MS, keepalive } from '../../../src/transport/ssh/options.js';

describe('keepalive settings for a dead-link timeout', () => {
  it('defaults to 15 s: a keepalive every 3.75 s, lost after 3 unanswered', () => {
    expect(DEFAULT_DEAD_LINK_TIMEOUT_MS).toBe(15_000);
    expect(keepalive(DEFAULT_DEAD_LINK_TIMEOUT_MS)).toEqual({ keepaliveInterval: 3_750, keepaliveCountMax: 3 });
  });

  it.each([1_000, 4_001, 15_000, 60_000, 3])('%i ms: ssh2 gives up within it (at the keepalive after countMax unanswered)', (timeout) => {
    const { keepaliveInterval, keepaliveCountMax } = keepalive(timeout);
    expect(keepaliveInterval).toBeGreaterThanOrEqual(1);
    expect((keepaliveCountMax + 1) * keepaliveInterval).toBeLessThanOrEqual(Math.max(timeout, keepaliveCountMax + 1));
  });
});
