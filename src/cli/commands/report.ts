// nodeform report merge FILE...: the shards' JSON results (--shard I/N, one CI job each) as one report, and the
// exit code the single run would have had. Contacts no host.

import { readFile } from 'node:fs/promises';
import { NodeformError } from '../../errors.js';
import { mergeReports, mergedOutcome } from '../../views/report.js';
import type { Command } from '../context.js';

export const report: Command = async (ctx) => {
  const files = ctx.line.reportFiles ?? [];
  const inputs = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new NodeformError('USAGE', `cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
    });
    try {
      inputs.push({ file, document: JSON.parse(text) as unknown });
    } catch (error) {
      throw new NodeformError('CONFIG', `${file}: not JSON (${(error as Error).message}); give the files a --json run wrote`);
    }
  }
  const merged = mergeReports(inputs);
  ctx.views.report().report(merged, files.length);
  return mergedOutcome(merged, ctx.line.detailedExitcode);
};
