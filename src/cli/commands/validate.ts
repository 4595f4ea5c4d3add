// nodeform validate: the inventory and playbook checked as plan would load them, contacting no host and
// downloading nothing.

import { checkProject } from '../../inventory/load.js';
import { inputsOf, type Command } from '../context.js';
import { warningFromText } from '../warning-from-text.js';

export const validate: Command = async (ctx) => {
  const inputs = inputsOf(ctx.line);
  const checked = await checkProject({ ...inputs, cwd: ctx.io.cwd });
  ctx.views.validate().validated({
    inventoryPath: inputs.inventoryPath,
    ...(inputs.playbookPath !== undefined ? { playbookPath: inputs.playbookPath } : {}),
    problems: checked.problems,
    warnings: checked.warnings.map(warningFromText),
  });
  return checked.problems.length > 0 ? 'invalidInput' : 'success';
};
