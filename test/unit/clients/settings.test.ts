// The setting a flag comes from decides where it goes: the unit's command line or an environment file (and so
// which --tags change it). The table is typed: a profile cannot name a setting that is not in it.
import { describe, expect, it } from 'vitest';
import { CommandLine } from '../../../src/clients/args.js';
import { CONSENSUS_PROFILES } from '../../../src/clients/consensus.js';
import { EXECUTION_PROFILES } from '../../../src/clients/execution.js';
import { SETTING_PLACES, settingArea, type Setting } from '../../../src/clients/settings.js';
import type { ConsensusClient, ExecutionClient } from '../../../src/clients/types.js';
import { splitArgv } from '../../../src/node/resources.js';
import { ephemeryNode, mainnetNode } from './specs.js';

describe('settings and where their flags go', () => {
  it.each<[Setting, ReturnType<typeof settingArea>]>([
    ['cache.execution_cache_mb', 'cache'],
    ['cache.lighthouse.state_cache_size', 'cache'],
    ['cache.lighthouse.block_cache_size', 'cache'],
    ['cache.teku.state_cache_size', 'cache'],
    ['cache.teku.block_cache_size', 'cache'],
    ['network_tuning.peers_cl', 'network'],
    ['network_tuning.peers_el', 'network'],
    ['consensus.peers', 'network'],
    ['execution.peers', 'network'],
    ['checkpoint_sync.url', 'checkpoint'],
    ['checkpoint_sync.state_file', undefined],
    ['network.name', undefined],
    ['execution.data_dir', undefined],
    ['jwt_path', undefined],
  ])('%s -> %s', (setting, area) => {
    expect(settingArea(setting)).toBe(area);
  });

  it('a typo in a setting is a type error, not a flag that moves', () => {
    const cmd = new CommandLine('geth', 'separate');
    // @ts-expect-error 'cache.execution_cahce_mb' is no setting
    cmd.set('--cache', 2048, 'cache.execution_cahce_mb');
    cmd.set('--maxpeers', 50, 'network_tuning.peers_el');
    expect(splitArgv(cmd.argv, { '--maxpeers': 'network_tuning.peers_el', '--cache': 'cache.execution_cache_mb' })).toEqual({
      base: ['geth'],
      cache: ['--cache', '2048'],
      network: ['--maxpeers', '50'],
      checkpoint: [],
    });
  });

  const pairs: [ConsensusClient, ExecutionClient][] = [
    ['lighthouse', 'geth'],
    ['prysm', 'nethermind'],
    ['teku', 'besu'],
    ['nimbus', 'erigon'],
    ['lodestar', 'geth'],
  ];
  it.each(pairs)('every flag %s and %s set names a setting of the table', (cl, el) => {
    for (const node of [ephemeryNode(cl, el), mainnetNode(cl, el)]) {
      for (const profile of [CONSENSUS_PROFILES[cl], EXECUTION_PROFILES[el]]) {
        const rendering = profile.render(node);
        for (const setting of [...Object.values(rendering.managedFlags), ...rendering.notApplicable.map((n) => n.setting)]) {
          expect(Object.keys(SETTING_PLACES)).toContain(setting);
        }
      }
    }
  });
});
