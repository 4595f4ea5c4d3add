// nodeform providers: asks every checkpoint provider the selected nodes use, cross-checks them, shows the choice.

import { providerGroups } from '../../plan/provider-groups.js';
import { usageError } from '../arguments.js';
import { inputsOf, loadDesired, type Command } from '../context.js';

export const providers: Command = async (ctx) => {
  const groups = providerGroups(await loadDesired(ctx, inputsOf(ctx.line)));
  if (groups.length === 0) {
    throw usageError('no selected host checkpoint-syncs from providers: nothing to ask (see checkpoint_sync in docs/node.md)');
  }
  ctx.views.providers().providers(groups);
  return groups.every((g) => g.decision.chosen) ? 'success' : 'failure';
};
