// Warnings are ConfigProblems too (a place, a field, a message), so views render both alike: the CLI prints
// `warning: ` + formatProblem. A warning is one line: it carries no excerpt.

import { GENERIC_PROBLEM_CODE, type ConfigProblem } from '../errors.js';

/** A warning's code, where the check that found it gives no more specific one. */
export const WARNING_CODE = 'config.warning';

export function asWarning(problem: ConfigProblem): ConfigProblem {
  const { excerpt: _oneLine, ...warning } = problem;
  return { ...warning, code: warning.code !== undefined && warning.code !== GENERIC_PROBLEM_CODE ? warning.code : WARNING_CODE };
}

/** A warning about a whole file or command-line argument (`--limit`), with no line inside it. */
export function wholeFileWarning(file: string, message: string): ConfigProblem {
  return { code: WARNING_CODE, position: { file, line: 0, column: 0 }, field: '', message };
}

/** The same warning from two places is said once, in the order first seen. */
export function dedupeWarnings(warnings: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return warnings.filter((warning) => {
    const key = `${warning.position.file}:${warning.position.line}:${warning.position.column}\u0000${warning.field}\u0000${warning.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
