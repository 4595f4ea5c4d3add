// Where a playbook's `template:` reference may live. Pure: the loader tries the candidates in order.

import { dirname, isAbsolute, join } from 'node:path';

/**
 * Candidates for a template reference, first match wins:
 * an absolute path as is; else relative to the playbook's directory, then under nodeform's own
 * templates/ directory (so built-in templates work from any playbook, and a playbook can ship its
 * own templates beside it).
 */
export function templateCandidates(reference: string, playbookFile: string, builtinTemplatesDir: string): string[] {
  if (isAbsolute(reference)) return [reference];
  return [join(dirname(playbookFile), reference), join(builtinTemplatesDir, reference)];
}

export function templateNotFoundMessage(reference: string): string {
  return `template '${reference}' not found next to the playbook or in nodeform's templates/ directory`;
}
