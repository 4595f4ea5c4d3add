// TEMPORARY, for the merge: warnings are still strings in this branch ("file:line:column: field: message", or a
// bare message) while the views take ConfigProblem. The core branch makes the loader return ConfigProblem
// warnings; then this file and its calls go.

import type { ConfigProblem } from '../errors.js';

const LOCATED = /^(.+?):(\d+):(\d+): ([\s\S]*)$/;
const FIELD = /^([^\s:]+): ([\s\S]*)$/;

/** A warning string as a ConfigProblem; the views render it back to the same text. Line 0: it points nowhere. */
export function warningFromText(text: string): ConfigProblem {
  const located = LOCATED.exec(text);
  if (!located) return { code: 'config.warning', position: { file: '', line: 0, column: 0 }, field: '', message: text };
  const [, file = '', line = '0', column = '0', rest = ''] = located;
  const field = FIELD.exec(rest);
  return {
    code: 'config.warning',
    position: { file, line: Number(line), column: Number(column) },
    field: field?.[1] ?? '',
    message: field?.[2] ?? rest,
  };
}
