// The human rendering of each command, byte for byte against goldens written before it moved to src/views.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatPlan } from '../../../src/plan/format.js';
import { formatProviderGroups } from '../../../src/plan/providers-table.js';
import { applyPlan, providerGroupsFixture, quietPlan } from './fixtures.js';

const golden = (name: string) => readFileSync(new URL(`./golden/${name}`, import.meta.url), 'utf8');

describe.each([false, true])('human rendering (colour %s)', (color) => {
  const suffix = color ? '.color.txt' : '.txt';
  it('plan: every kind of change, notes, held items, warnings, an unreachable host', () => {
    expect(formatPlan(applyPlan, { color })).toBe(golden(`plan${suffix}`));
  });
  it('plan without changes, with a reset target', () => {
    expect(formatPlan(quietPlan, { color })).toBe(golden(`plan-quiet${suffix}`));
  });
  it('providers: a chosen provider with alternatives and rejections, and a group without quorum', () => {
    expect(formatProviderGroups(providerGroupsFixture, { color })).toBe(golden(`providers${suffix}`));
  });
});
