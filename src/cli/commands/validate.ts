// nodeform validate: the inventory and playbook checked as plan would load them, contacting no host and
// downloading nothing.

import { checkProject } from '../../project/load.js';
import { inputsOf, loaderEnvironment, type Command } from '../context.js';

export const validate: Command = async (ctx) => {
  const inputs = inputsOf(ctx.line);
  const checked = await checkProject({ ...inputs, ...(await loaderEnvironment(ctx)) });
  ctx.views.validate().validated({
    inventoryPath: inputs.inventoryPath,
    ...(inputs.playbookPath !== undefined ? { playbookPath: inputs.playbookPath } : {}),
    problems: checked.problems,
    warnings: checked.warnings,
  });
  return checked.problems.length > 0 ? 'invalidInput' : 'success';
};
