// In-memory projects for the pure pipeline: no files, no clock.
import { formatProblem, type ConfigProblem } from '../../../src/errors.js';
import type { VarsFile } from '../../../src/inventory/inventory.js';
import { buildProject, type ProjectOptions, type ProjectResult } from '../../../src/project/project.js';
import type { SourceFile } from '../../../src/inventory/source.js';

export const BASE_DIR = '/srv/project';

export interface Project {
  inventory: string;
  playbook?: string;
  groupVars?: Record<string, string>;
  hostVars?: Record<string, string>;
  templates?: Record<string, string>;
  extraVarFiles?: Record<string, string>;
}

export const MINIMAL_PLAYBOOK = '- hosts: all\n';

export function build(project: Project, options: Partial<ProjectOptions> = {}): ProjectResult {
  const varsFiles = (kind: string, files: Record<string, string> = {}): VarsFile[] =>
    Object.entries(files).map(([name, text]) => ({ name: name.replace(/\/.*$/, '').replace(/\.ya?ml$/, ''), file: `${kind}/${name}`, text }));
  const templates: Record<string, SourceFile> = {};
  for (const [name, text] of Object.entries(project.templates ?? {})) templates[name] = { file: `templates/${name}`, text };
  const extraVarFiles: Record<string, SourceFile> = {};
  for (const [name, text] of Object.entries(project.extraVarFiles ?? {})) extraVarFiles[name] = { file: name, text };
  return buildProject(
    {
      inventory: { file: 'inventory.yaml', text: project.inventory },
      groupVars: varsFiles('group_vars', project.groupVars),
      hostVars: varsFiles('host_vars', project.hostVars),
      playbook: { file: 'playbook.yaml', text: project.playbook ?? MINIMAL_PLAYBOOK },
      templates,
      extraVarFiles,
    },
    { baseDir: BASE_DIR, homeDir: '/home/op', ...options },
  );
}

/** The first line of each problem: file:line:column: field: message. */
export function heads(problems: ConfigProblem[]): string[] {
  return problems.map((problem) => formatProblem(problem).split('\n')[0]!);
}
