// In-memory node projects for the pure pipeline: the real unit templates and client profiles,
// inventories and playbooks as strings.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatProblem, type ConfigProblem } from '../../../src/errors.js';
import type { VarsFile } from '../../../src/inventory/inventory.js';
import { buildProject, parseSources, projectNeeds, type ProjectResult, type ProjectSources } from '../../../src/project/project.js';
import type { NodeNeeds } from '../../../src/node/needs.js';
import { FALLBACK_TEMPLATE_FILES } from '../../../src/node/checkpoint-fallback.js';
import { MONITOR_TEMPLATE_FILES } from '../../../src/node/monitor-resources.js';
import type { NodeTemplates } from '../../../src/node/resources.js';
import type { ProviderResult } from '../../../src/node/quorum.js';

const template = (name: string): string => readFileSync(fileURLToPath(new URL(`../../../templates/${name}`, import.meta.url)), 'utf8');

export const NODE_TEMPLATES: NodeTemplates = {
  client: template('systemd/ethereum-client.service.hbs'),
  init: template('systemd/ethereum-init.service.hbs'),
  fallback: {
    script: template(FALLBACK_TEMPLATE_FILES.script),
    service: template(FALLBACK_TEMPLATE_FILES.service),
    timer: template(FALLBACK_TEMPLATE_FILES.timer),
  },
  monitor: {
    script: template(MONITOR_TEMPLATE_FILES.script),
    service: template(MONITOR_TEMPLATE_FILES.service),
    timer: template(MONITOR_TEMPLATE_FILES.timer),
  },
};

export const BASE_DIR = '/srv/project';
export const NODE_PLAYBOOK = '- hosts: all\n  ethereum_node: true\n';

export interface NodeProject {
  inventory: string;
  playbook?: string;
  groupVars?: Record<string, string>;
  hostVars?: Record<string, string>;
  /** config_source directories (resolved against BASE_DIR) -> file name -> text. */
  networkSources?: Record<string, Record<string, string> | string>;
  extraVars?: string[];
  /** What each checkpoint provider answered (as the loader's probe would give it). */
  providers?: Record<string, ProviderResult>;
}

function nodeSources(project: NodeProject): ProjectSources {
  const varsFiles = (kind: string, files: Record<string, string> = {}): VarsFile[] =>
    Object.entries(files).map(([name, text]) => ({ name: name.replace(/\.ya?ml$/, ''), file: `${kind}/${name}`, text }));
  const networkSources: Record<string, Record<string, string> | string> = {};
  for (const [dir, files] of Object.entries(project.networkSources ?? {})) {
    networkSources[dir] =
      typeof files === 'string' ? files : Object.fromEntries(Object.entries(files).map(([name, text]) => [name, Buffer.from(text).toString('base64')]));
  }
  return {
    inventory: { file: 'inventory.yaml', text: project.inventory },
    groupVars: varsFiles('group_vars', project.groupVars),
    hostVars: varsFiles('host_vars', project.hostVars),
    playbook: { file: 'playbook.yaml', text: project.playbook ?? NODE_PLAYBOOK },
    node: { templates: NODE_TEMPLATES, networkSources, ...(project.providers ? { providers: project.providers } : {}) },
  };
}

const nodeOptions = (project: NodeProject) => ({ baseDir: BASE_DIR, homeDir: '/home/op', extraVars: project.extraVars ?? [] });

export function buildNode(project: NodeProject): ProjectResult {
  return buildProject(nodeSources(project), nodeOptions(project));
}

/** What the project's nodes need from outside (round one: releases, binaries, providers to probe). */
export function nodeNeedsOf(project: NodeProject): NodeNeeds {
  const options = nodeOptions(project);
  return projectNeeds(parseSources(nodeSources(project), options), options);
}

/** The first line of each problem: file:line:column: field: message. */
export function heads(problems: ConfigProblem[]): string[] {
  return problems.map((problem) => formatProblem(problem).split('\n')[0]!);
}

/** An inventory with one host lab1 whose variables are `vars` (YAML, indented for you). */
export function host(vars: string): string {
  return `all:\n  hosts:\n    lab1:\n${vars.replace(/^/gm, '      ')}\n`;
}

const NODE_DEFAULTS: Record<string, string> = {
  network: '{ name: ephemery, iteration: 161 }',
  consensus: '{ client: lighthouse }',
  execution: '{ client: geth }',
};

/**
 * Host lab1 with a complete node (Ephemery 161, lighthouse + geth), each variable replaced or added
 * by `vars` (name -> YAML value written on the same line, or on the next lines when it starts with
 * a newline); an empty string leaves the variable out.
 */
export function nodeHost(vars: Record<string, string> = {}): string {
  const lines = Object.entries({ ...NODE_DEFAULTS, ...vars })
    .filter(([, value]) => value !== '')
    .map(([name, value]) => (value.startsWith('\n') ? `${name}:${value.replace(/\n/g, '\n  ')}` : `${name}: ${value}`));
  return host(lines.join('\n'));
}
