// The build in steps (buildProjectSteps, buildDesiredSteps): the same result as the build in one go, with pauses
// after each host and every few hundred declarations, in which the loader lets the hosts' SSH handshakes go on.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryProjects } from '../../support/temporary.js';
import { loadProject } from '../../../src/project/load.js';
import { buildProject, buildProjectSteps, parseSources, type ProjectSources } from '../../../src/project/project.js';

const project = temporaryProjects('nodeform-build-steps-');

const INVENTORY = `all:
  vars:
    rev: 1
  hosts:
    one: { ansible_host: 10.0.0.1 }
    two: { ansible_host: 10.0.0.2, rev: 2 }
    three: { ansible_host: 10.0.0.3, ansible_connection: local }
`;

function playbook(files: number): string {
  const lines = ['- hosts: all', '  files:'];
  for (let i = 0; i < files; i++) lines.push(`    - path: /srv/f${i}.conf`, '      content: |', `        file ${i} rev {{ rev }} on {{ inventory_hostname }}`);
  return `${lines.join('\n')}\n`;
}

describe('buildProjectSteps', () => {
  it('pauses after each host and every 500 declarations, and ends with what buildProject gives', () => {
    const sources: ProjectSources = { inventory: { file: 'inventory.yaml', text: INVENTORY }, playbook: { file: 'playbook.yaml', text: playbook(1200) } };
    const options = { baseDir: '/srv/project' };
    const steps = buildProjectSteps(sources, options, parseSources(sources, options));
    let pauses = 0;
    let step = steps.next();
    while (!step.done) {
      pauses += 1;
      step = steps.next();
    }
    // Per host: after 500 and 1,000 declarations, then at its end.
    expect(pauses).toBe(3 * 3);
    const whole = buildProject(sources, options);
    expect({ desired: step.value.desired, problems: step.value.problems, warnings: step.value.warnings }).toEqual({ desired: whole.desired, problems: whole.problems, warnings: whole.warnings });
    expect(step.value.desired.map((d) => d.resources.length)).toEqual([1200, 1200, 1200]);
  });
});

describe('loadProject while the hosts are being connected to', () => {
  it('lets I/O run during the build, more often the more there is to build', async () => {
    const turnsAfterHosts = async (files: number): Promise<number> => {
      const dir = project({ 'inventory.yaml': INVENTORY, 'playbook.yaml': playbook(files) });
      let turns = 0;
      let loaded = false;
      const tick = (): void => {
        if (loaded) return;
        turns += 1;
        setImmediate(tick);
      };
      await loadProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml'), onHosts: () => setImmediate(tick) });
      loaded = true;
      return turns;
    };
    // 3 hosts of 2,000 files: 5 pauses each; of 10 files, one each.
    expect((await turnsAfterHosts(2000)) - (await turnsAfterHosts(10))).toBeGreaterThanOrEqual(12);
  });
});
