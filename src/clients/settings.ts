// Every NodeSpec setting a client flag can come from, and where that flag goes: the unit's own command
// line, or one of the environment files the unit reads. The environment file decides what `--tags`
// changes it: `--tags cache` rewrites only the cache file and restarts the client, `--tags network` the
// network file; the checkpoint file is what the on-host fallback rewrites. A profile names its flag's
// setting from this table, so a typo is a type error, not a flag that silently moves. Pure.

/** Where a setting's flags go: the unit's command line, or the environment file (and tag) of that name. */
export type FlagPlace = 'command' | 'cache' | 'network' | 'checkpoint';

/** The environment files a node's client reads, one per area: `/etc/ethereum/<client>.<area>.env`. */
export type EnvArea = Exclude<FlagPlace, 'command'>;

export const SETTING_PLACES = {
  // The network a client joins and its own files.
  'network.name': 'command',
  'network.chain_id': 'command',
  'network.files': 'command',
  'network.files.dir': 'command',
  'network.bootnodes_cl': 'command',
  'network.bootnodes_el': 'command',
  // Each client: which one, where it keeps data, where it listens.
  'consensus.client': 'command',
  'consensus.data_dir': 'command',
  'consensus.listen_address': 'command',
  'consensus.ports.http': 'command',
  'consensus.ports.p2p': 'command',
  'consensus.ports.metrics': 'command',
  'execution.client': 'command',
  'execution.data_dir': 'command',
  'execution.listen_address': 'command',
  'execution.ports.http': 'command',
  'execution.ports.p2p': 'command',
  'execution.ports.engine': 'command',
  'execution.ports.metrics': 'command',
  // Peer targets: network tuning (network_tuning.peers_* override <client>.peers).
  'consensus.peers': 'network',
  'execution.peers': 'network',
  'network_tuning.peers_cl': 'network',
  'network_tuning.peers_el': 'network',
  // Caches.
  'cache.lighthouse.state_cache_size': 'cache',
  'cache.lighthouse.block_cache_size': 'cache',
  'cache.teku.state_cache_size': 'cache',
  'cache.teku.block_cache_size': 'cache',
  'cache.execution_cache_mb': 'cache',
  // Checkpoint sync: the provider URL is the fallback's to switch; the rest stays in the unit.
  'checkpoint_sync.url': 'checkpoint',
  'checkpoint_sync.enabled': 'command',
  'checkpoint_sync.alternatives': 'command',
  'checkpoint_sync.backfill': 'command',
  'checkpoint_sync.state_file': 'command',
  'checkpoint_sync.block_file': 'command',
  'monitoring.metrics': 'command',
  'monitoring.metrics_address': 'command',
  /** Both clients share the JWT nodeform writes. */
  jwt_path: 'command',
} as const satisfies Record<string, FlagPlace>;

/** A setting a client flag comes from: `cache.execution_cache_mb`. */
export type Setting = keyof typeof SETTING_PLACES;

/** The environment file a setting's flags go to, or undefined for the unit's own command line. */
export function settingArea(setting: Setting): EnvArea | undefined {
  const place: FlagPlace = SETTING_PLACES[setting];
  return place === 'command' ? undefined : place;
}
