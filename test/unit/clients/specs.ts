// NodeSpecs for golden and flag tests: one Ephemery node and one mainnet node per client pair.
import type { ConsensusClient, ExecutionClient, NodeSpec } from '../../../src/clients/types.js';

/** The monitoring settings' defaults, written out (a NodeSpec as nodeSpecFor fills it). */
export const MONITORING: NodeSpec['monitoring'] = {
  metrics: false,
  metricsAddress: '127.0.0.1',
  monitor: true,
  intervalSeconds: 60,
  stall: { windowSeconds: 300, minSlotsPerWindow: 1, syncedDistance: 8, executionLagBlocks: 64, optimisticSeconds: 600 },
  alerts: [],
  alertIntervalSeconds: 300,
  historyMaxBytes: 1_048_576,
  textfileDirectory: '/var/lib/node_exporter/textfile_collector',
};

const CL_PORTS = { p2p: 9000, http: 5052, metrics: 5054 };
const EL_PORTS = { p2p: 30303, http: 8545, engine: 8551, metrics: 6060 };

export function ephemeryNode(cl: ConsensusClient, el: ExecutionClient): NodeSpec {
  const dir = '/etc/ethereum/ephemery';
  return {
    network: {
      name: 'ephemery',
      chainId: 39438000 + 161,
      iteration: 161,
      files: {
        dir,
        configYaml: `${dir}/config.yaml`,
        genesisSsz: `${dir}/genesis.ssz`,
        genesisJson: `${dir}/genesis.json`,
        bootEnrYaml: `${dir}/boot_enr.yaml`,
        depositContractBlock: `${dir}/deposit_contract_block.txt`,
      },
      bootnodesCl: ['enr:-Iq4QJk4WqRkjsX5c2CXtOra6HnxN-BMXnWhmhEQO9Bn9iABTJGdjUOurM7Btj1ouKaFkvTRoju5vz2GPmVON2dffQKGAX53x8JigmlkgnY0gmlwhLKAlv6Jc2VjcDI1NmsxoQK6S-Cii_KmfFdUJL2TANL3ksaKUnNXvTCv1tLwXs0QgIN1ZHCCIyk'],
      bootnodesEl: ['enode://0f2c301a9a3f9fa2ccfa362b79552c052905d8c2982f707f46cd29ece5a9e1c14ecd06f4ac951b228f059a43c6284a1a14fce709e8976cac93b50345218bf2e9@135.181.140.168:30343'],
    },
    consensus: { client: cl, version: 'pinned', binary: `/usr/local/bin/${cl}`, dataDir: `/var/lib/${cl}`, user: cl, listenAddress: '127.0.0.1', peers: 70, extraArgs: [], ports: CL_PORTS },
    execution: { client: el, version: 'pinned', binary: `/usr/local/bin/${el}`, dataDir: `/var/lib/${el}`, user: el, listenAddress: '127.0.0.1', peers: 50, extraArgs: [], ports: EL_PORTS },
    checkpointSync: {
      enabled: true,
      url: 'https://checkpoint-sync.ephemery.ethpandaops.io',
      alternatives: ['https://ephemery.beaconstate.ethstaker.cc'],
      providers: ['https://checkpoint-sync.ephemery.ethpandaops.io', 'https://ephemery.beaconstate.ethstaker.cc'],
      quorum: 2 / 3,
      source: 'provider',
      fallback: true,
      backfill: false,
    },
    cache: { enabled: true, directory: '/var/cache/nodeform', maxSizeMb: 1024, stateCacheSize: 128, blockCacheSize: 64, executionCacheMb: 4096, expiryHours: 24, compression: true },
    networkTuning: { maxConcurrentRequests: 8, requestTimeoutSeconds: 30, retries: 3, backoff: { strategy: 'exponential', minSeconds: 1, maxSeconds: 30 } },
    monitoring: { ...MONITORING, metrics: true },
    jwtPath: '/etc/ethereum/jwt.hex',
  };
}

export function mainnetNode(cl: ConsensusClient, el: ExecutionClient): NodeSpec {
  const node = ephemeryNode(cl, el);
  return {
    ...node,
    network: { name: 'mainnet', chainId: 1, bootnodesCl: [], bootnodesEl: [] },
    checkpointSync: { ...node.checkpointSync, url: 'https://mainnet.checkpoint.sigp.io', alternatives: [], providers: ['https://mainnet.checkpoint.sigp.io'] },
    cache: { ...node.cache, stateCacheSize: undefined, blockCacheSize: undefined, executionCacheMb: undefined },
    monitoring: { ...MONITORING, metrics: false },
  };
}
