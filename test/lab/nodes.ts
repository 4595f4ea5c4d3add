// Lab hosts as Ethereum nodes, for trying node playbooks by hand (`npm run lab -- up N --nodes`) and for lab
// tests that want the same: the stand-in clients installed on every host (they take exactly the real clients'
// flags and serve their APIs; they are not the real clients) and the lab's inventory rewritten so that its
// playbook (playbooks/fleet.yaml) makes each host a node, a different client pair per host, on mainnet without
// checkpoint sync: nothing needs the network (no Ephemery release or checkpoint provider to reach).
import { writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { ConsensusClient, ExecutionClient } from '../../src/clients/types.js';
import type { Lab } from './lab.js';
import { installStandins } from './standin/install.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FLEET_PLAYBOOK = join(repo, 'playbooks', 'fleet.yaml');

/** Host n gets pair (n - 1) mod 5: every consensus client, and every execution client, in the first five. */
export const NODE_PAIRS: readonly [ConsensusClient, ExecutionClient][] = [
  ['lighthouse', 'geth'],
  ['teku', 'besu'],
  ['nimbus', 'nethermind'],
  ['lodestar', 'erigon'],
  ['prysm', 'geth'],
];

export interface NodeLabOptions {
  /** Seconds per slot of the stand-ins' heads (default 1). */
  slotSeconds?: number;
  /** More all.vars (e.g. monitoring settings). */
  vars?: Record<string, unknown>;
}

/** The lab's inventory with each host a node: all.vars name the playbook, the network and no checkpoint sync. */
function nodeInventoryYaml(lab: Lab, vars: Record<string, unknown> = {}): string {
  const doc = new YAML.Document({
    all: {
      vars: {
        ansible_user: 'root',
        ansible_ssh_private_key_file: lab.clientKey,
        nodeform_known_hosts_file: lab.knownHosts,
        nodeform_playbook: relative(dirname(lab.inventoryPath), FLEET_PLAYBOOK),
        network: 'mainnet',
        checkpoint_sync: { enabled: false },
        ...vars,
      },
      hosts: Object.fromEntries(
        lab.hosts.map((h, i) => {
          const [cl, el] = NODE_PAIRS[i % NODE_PAIRS.length]!;
          // Each host's clients listen on the host's own address: the lab's hosts share one loopback.
          return [h.name, { ansible_host: h.address, ansible_port: h.port, consensus: { client: cl, listen_address: h.address }, execution: { client: el, listen_address: h.address } }];
        }),
      ),
    },
  });
  return doc.toString();
}

/** Installs the stand-ins on every host of the lab and rewrites its inventory.yaml to make each host a node. */
export async function makeNodes(lab: Lab, options: NodeLabOptions = {}): Promise<void> {
  const clients = [...new Set(lab.hosts.flatMap((_, i) => NODE_PAIRS[i % NODE_PAIRS.length]!))];
  await installStandins(lab, lab.hosts, { clients, slotSeconds: options.slotSeconds ?? 1 });
  writeFileSync(lab.inventoryPath, nodeInventoryYaml(lab, options.vars));
}
