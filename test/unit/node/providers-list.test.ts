// The default checkpoint providers are the community list's (eth-clients/checkpoint-sync-endpoints,
// endpoints/<network>.yaml): a default names no host that list does not.
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_PROVIDERS } from '../../../src/node/defaults.js';

/** eth-clients/checkpoint-sync-endpoints endpoints/ephemery.yaml at 17256b254a7580ee99aed326d65bebd1f2fa7ce6. */
const EPHEMERY_LISTED = ['https://checkpointz.bordel.wtf/', 'https://ephemery.beaconstate.ethstaker.cc/'];

const origin = (url: string): string => new URL(url).origin;

describe('default checkpoint providers', () => {
  it('ephemery: every default is on the community list, in its order', () => {
    expect(CHECKPOINT_PROVIDERS.ephemery.map(origin)).toEqual(EPHEMERY_LISTED.map(origin));
  });
});
