// Plays with ethereum_node among other plays: tags, --tags, merging, conflicts, restart_on, origins.
import { describe, expect, it } from 'vitest';
import { buildProject } from '../../../src/project/project.js';
import { BASE_DIR, NODE_TEMPLATES, buildNode, heads, nodeHost } from './helpers.js';

const ids = (result: ReturnType<typeof buildNode>, host = 0) => result.desired[host]!.resources.map((r) => r.id);

describe('a node play', () => {
  it('tags every resource with the play\'s tags and node; cache, network and checkpoint files, the units and the on-host monitor also with theirs', () => {
    const result = buildNode({ inventory: nodeHost(), playbook: '- hosts: all\n  tags: [eth, ephemery]\n  ethereum_node: true\n' });
    const tagsOf = (id: string) => result.desired[0]!.resources.find((r) => r.id === id)!.tags.join(',');
    expect(new Set(result.desired[0]!.resources.map((r) => r.tags.join(',')))).toEqual(
      new Set(['eth,ephemery,node', 'eth,ephemery,node,cache', 'eth,ephemery,node,network', 'eth,ephemery,node,checkpoint', 'eth,ephemery,node,cache,network', 'eth,ephemery,node,monitoring']),
    );
    expect(tagsOf('file:/etc/ethereum/lighthouse.checkpoint.env')).toBe('eth,ephemery,node,checkpoint');
    expect(tagsOf('file:/etc/ethereum/geth.cache.env')).toBe('eth,ephemery,node,cache');
    expect(tagsOf('file:/etc/ethereum/lighthouse.network.env')).toBe('eth,ephemery,node,network');
    expect(tagsOf('unit:geth.service')).toBe('eth,ephemery,node,cache,network');
    expect(tagsOf('dir:/var/lib/geth')).toBe('eth,ephemery,node');
    expect(tagsOf('unit:nodeform-monitor.timer')).toBe('eth,ephemery,node,monitoring');
    expect(tagsOf('file:/etc/nodeform/monitor.conf')).toBe('eth,ephemery,node,monitoring');
    expect(result.desired[0]!.resources.every((r) => r.origin === 'playbook.yaml:3:3')).toBe(true);
  });

  it.each([
    [['node'], 27],
    [['checkpoint'], 2],
    [['monitoring'], 8],
    [['cache'], 4],
    [['network'], 4],
    [['other'], 0],
  ])('--tags %j selects %i resources', (tags, count) => {
    const result = buildProject(
      { inventory: { file: 'inventory.yaml', text: nodeHost() }, playbook: { file: 'playbook.yaml', text: '- hosts: all\n  ethereum_node: true\n' }, node: { templates: NODE_TEMPLATES } },
      { baseDir: BASE_DIR, tags },
    );
    expect(result.desired[0]!.resources).toHaveLength(count);
  });

  it('is built only for the hosts it matches, from each host\'s variables', () => {
    const inventory = 'all:\n  vars:\n    network: mainnet\n    execution: { client: geth }\n  hosts:\n    a: { consensus: { client: teku } }\n    b: { consensus: { client: nimbus } }\n    c:\n';
    const result = buildNode({ inventory, playbook: '- hosts: a:b\n  ethereum_node: true\n' });
    expect(heads(result.problems)).toEqual([]);
    expect(result.desired.map((d) => d.host)).toEqual(['a', 'b']);
    expect(ids(result, 0)).toContain('unit:teku.service');
    expect(ids(result, 1)).toContain('unit:nimbus.service');
  });

  it('play vars override the inventory for that play', () => {
    const result = buildNode({ inventory: nodeHost(), playbook: '- hosts: all\n  ethereum_node: true\n  vars:\n    execution: { client: erigon }\n' });
    expect(ids(result)).toContain('unit:erigon.service');
    expect(ids(result)).not.toContain('unit:geth.service');
  });

  it('-e overrides both', () => {
    const result = buildNode({ inventory: nodeHost(), extraVars: ['{execution: {client: besu}}'] });
    expect(ids(result)).toContain('unit:besu.service');
  });

  it('combines with ordinary plays, whose units may restart on node files', () => {
    const playbook = `- hosts: all
  ethereum_node: true
- hosts: all
  files:
    - path: /etc/motd
      content: "{{consensus.client}}"
  units:
    - name: jwt-watch.service
      content: "[Service]\\nExecStart=/bin/true\\n"
      restart_on: [/etc/ethereum/jwt.hex]
`;
    const result = buildNode({ inventory: nodeHost(), playbook });
    expect(heads(result.problems)).toEqual([]);
    expect(ids(result)).toEqual(expect.arrayContaining(['file:/etc/motd', 'unit:jwt-watch.service', 'unit:lighthouse.service']));
  });

  it('two node plays giving a host the same node merge, their tags joined', () => {
    const playbook = '- hosts: all\n  tags: [a]\n  ethereum_node: true\n- hosts: lab1\n  tags: [b]\n  ethereum_node: true\n';
    const result = buildNode({ inventory: nodeHost(), playbook });
    expect(heads(result.problems)).toEqual([]);
    expect(result.desired[0]!.resources.find((r) => r.id === 'unit:geth.service')!.tags).toEqual(['a', 'node', 'cache', 'network', 'b']);
  });

  it.each([
    [
      'two node plays giving a host different nodes',
      '- hosts: all\n  ethereum_node: true\n- hosts: all\n  ethereum_node: true\n  vars:\n    consensus: { client: lighthouse, peers: 5 }\n',
      // The peers flag lives in lighthouse's network environment file.
      ['playbook.yaml:4:3: [1].ethereum_node: /etc/ethereum/lighthouse.network.env is declared twice for host lab1 with different content (first at playbook.yaml:2:3)'],
    ],
    [
      'a play declaring a path the node owns',
      '- hosts: all\n  ethereum_node: true\n- hosts: all\n  files:\n    - path: /etc/ethereum/jwt.hex\n      content: x\n',
      ['playbook.yaml:5:13: [1].files[0].path: /etc/ethereum/jwt.hex is declared twice for host lab1 with different content, mode, group, secret, generate (first at playbook.yaml:2:3)'],
    ],
    [
      'a directory where the node keeps data, declared as a file',
      '- hosts: all\n  files:\n    - path: /var/lib/geth\n      content: x\n- hosts: all\n  ethereum_node: true\n',
      ['playbook.yaml:6:3: [1].ethereum_node: /var/lib/geth is declared as a directory and as a file (at playbook.yaml:3:7) for host lab1'],
    ],
  ])('%s is a problem naming both places', (_name, playbook, expected) => {
    expect(heads(buildNode({ inventory: nodeHost(), playbook }).problems)).toEqual(expected);
  });
});
