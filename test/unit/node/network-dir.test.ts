// Each consensus client's network directory against what the client reads from it: every file a client
// reads that the Ephemery release carries is installed where the client's flags point.
import { describe, expect, it } from 'vitest';
import { CONSENSUS_PROFILES } from '../../../src/clients/consensus.js';
import type { ConsensusClient } from '../../../src/clients/types.js';
import { RELEASE_FILES } from '../../../src/fetch/release.js';
import { EPHEMERY_RELEASES_URL } from '../../../src/node/defaults.js';
import { resolveNode, type NodeReport } from '../../../src/node/host-spec.js';
import { releaseKey } from '../../../src/node/inputs.js';
import { releaseFiles } from '../../support/ephemery.js';
import { NODE_TEMPLATES } from './helpers.js';

/**
 * What each client reads for a custom network. `dir`: the flag naming a directory, and the files read from
 * it; `paths`: flags naming one file each, and which file of the network's that must be.
 */
const READS: Record<ConsensusClient, { dir?: { flag: string; files: string[] }; paths?: Record<string, string>; source: string }> = {
  lighthouse: {
    dir: { flag: '--testnet-dir', files: ['config.yaml', 'genesis.ssz', 'boot_enr.yaml', 'deposit_contract_block.txt'] },
    source: 'sigp/lighthouse common/eth2_network_config/src/lib.rs: BASE_CONFIG_FILE, GENESIS_STATE_FILE, BOOT_ENR_FILE, DEPLOY_BLOCK_FILE ("deposit_contract_block.txt")',
  },
  nimbus: {
    dir: {
      flag: '--network',
      files: [
        'config.yaml',
        'genesis.ssz',
        'genesis_deposit_contract_snapshot.ssz',
        'deploy_block.txt',
        'deposit_contract_block.txt',
        // Required when config.yaml's DEPOSIT_CONTRACT_ADDRESS is not zero ("Cannot load network: PresetFileError").
        'deposit_contract_block_hash.txt',
        'bootstrap_nodes.txt',
        'boot_enr.yaml',
      ],
    },
    source: 'status-im/nimbus-eth2 beacon_chain/networking/network_metadata.nim, proc loadEth2NetworkMetadata (the `path & "/..."` lets)',
  },
  teku: {
    paths: { '--network': 'config.yaml', '--genesis-state': 'genesis.ssz' },
    source: 'Consensys/teku teku/src/main/java/tech/pegasys/teku/cli/options/Eth2NetworkOptions.java: --network (a name or a config file), --genesis-state',
  },
  prysm: {
    paths: { '--chain-config-file': 'config.yaml', '--genesis-state': 'genesis.ssz' },
    source: 'OffchainLabs/prysm cmd/flags.go (--chain-config-file), cmd/beacon-chain/genesis/options.go (--genesis-state)',
  },
  lodestar: {
    paths: { '--paramsFile': 'config.yaml', '--genesisStateFile': 'genesis.ssz' },
    source: 'ChainSafe/lodestar packages/cli/src/options/globalOptions.ts (--paramsFile), packages/cli/src/cmds/beacon/options.ts (--genesisStateFile)',
  },
};

/** A release holding every file nodeform takes from Ephemery's archives (testnet-all.tar.gz). */
const RELEASE: Record<string, string> = Object.fromEntries(
  Object.entries(
    releaseFiles(161, {
      'deposit_contract.txt': '0x4242424242424242424242424242424242424242\n',
      'deposit_contract_block_hash.txt': `0x${'ab'.repeat(32)}\n`,
      'bootstrap_nodes.txt': 'enr:-Iq4QJk4WqRkjsX5c2CXtOra6HnxN\n',
      'retention.vars': 'CHAIN_ID=39438161\n',
    }),
  )
    .filter(([name]) => (RELEASE_FILES as readonly string[]).includes(name))
    .map(([name, bytes]) => [name, Buffer.from(bytes).toString('base64')]),
);

const REPORT: NodeReport = { problem: (_at, message) => expect.fail(message), warning: () => undefined };

function installed(client: ConsensusClient): { argv: string[]; paths: Set<string> } {
  const vars = { network: { name: 'ephemery', iteration: 161 }, consensus: { client }, execution: { client: 'geth' } };
  const inputs = { templates: NODE_TEMPLATES, releases: { [releaseKey(EPHEMERY_RELEASES_URL, 161)]: { iteration: 161, files: RELEASE } } };
  const node = resolveNode(vars, 'lab1', inputs, { baseDir: '/srv/project' }, REPORT);
  if (!node) return expect.fail('no node');
  return { argv: CONSENSUS_PROFILES[client].render(node.spec).argv, paths: new Set(node.networkFiles.map((file) => file.path)) };
}

/** The value of `--flag value` or `--flag=value`. */
function flagValue(argv: string[], flag: string): string | undefined {
  const at = argv.findIndex((word) => word === flag || word.startsWith(`${flag}=`));
  if (at < 0) return undefined;
  return argv[at] === flag ? argv[at + 1] : argv[at]!.slice(flag.length + 1);
}

describe('the network directory each consensus client reads (Ephemery)', () => {
  it('the test release carries every file nodeform takes from a release', () => {
    expect(Object.keys(RELEASE).sort()).toEqual([...RELEASE_FILES].sort());
  });

  it.each(Object.entries(READS) as [ConsensusClient, (typeof READS)[ConsensusClient]][])('%s', (client, reads) => {
    const { argv, paths } = installed(client);
    if (reads.dir) {
      const dir = flagValue(argv, reads.dir.flag);
      expect(dir, `${client} ${reads.dir.flag}`).toBe('/etc/ethereum/ephemery');
      const wanted = reads.dir.files.filter((name) => RELEASE[name] !== undefined).map((name) => `${dir}/${name}`);
      expect(wanted.filter((path) => !paths.has(path)), `${client} reads these (${reads.source}) but they are not installed`).toEqual([]);
    }
    for (const [flag, name] of Object.entries(reads.paths ?? {})) {
      const path = flagValue(argv, flag);
      expect(path, `${client} ${flag}`).toBe(`/etc/ethereum/ephemery/${name}`);
      expect(paths.has(path!), `${client} ${flag} ${path} is installed`).toBe(true);
    }
  });
});
