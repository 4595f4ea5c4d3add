// Which plan options a run's selection implies (plan, apply): --tags and --skip-tags keep what they leave out.
import { describe, expect, it } from 'vitest';
import { planOptionsFor } from '../../../src/plan/compute.js';

describe('planOptionsFor', () => {
  it.each([
    [{ pruneData: false }, { removeUndeclared: true, pruneData: false }],
    [{ tags: [], skipTags: [], pruneData: true }, { removeUndeclared: true, pruneData: true }],
    [{ tags: ['config'], pruneData: false }, { removeUndeclared: false, pruneData: false }],
    [{ skipTags: ['service'], pruneData: true }, { removeUndeclared: false, pruneData: true }],
  ])('%j -> %j', (selection, options) => {
    expect(planOptionsFor(selection)).toEqual(options);
  });
});
