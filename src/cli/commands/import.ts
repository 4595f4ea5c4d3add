// nodeform import: rewrites an inventory written for the old scripts into nodeform's settings, in exactly the
// files the loader reads (the inventory, group_vars/ and host_vars/, files without an extension too), says what
// to do with every variable it cannot map, and checks the result as `nodeform validate` would.

import { copyFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../../errors.js';
import { importSources } from '../../node/import.js';
import { checkProject, readInventorySources } from '../../project/load.js';
import type { ImportedFile } from '../../views/import.js';
import { inventoryPath, loaderEnvironment, type Command } from '../context.js';

/** The play the imported inventory is checked with: every host an Ethereum node, as the old scripts made it. */
const NODE_PLAY = '- name: nodes imported from the old scripts\n  hosts: all\n  ethereum_node: true\n';

export const importCommand: Command = async (ctx) => {
  const path = inventoryPath(ctx.line);
  const sources = await readInventorySources(path);
  if ('problem' in sources) throw new ConfigError([sources.problem]);
  if ('problems' in sources) throw new ConfigError(sources.problems);
  const results = importSources(sources, resolve(dirname(path)));

  // The same checks validate runs, on the rewritten texts, before anything is written.
  const checked = await checkProject({
    inventoryPath: path,
    ...(await loaderEnvironment(ctx)),
    inventoryTexts: Object.fromEntries(results.map(({ file, result }) => [file, result.text])),
    playbookSource: { file: join(dirname(path), 'nodeform-import-check.yaml'), text: NODE_PLAY },
  });

  const files: ImportedFile[] = [];
  for (const { file, result } of results) {
    const written = ctx.line.write && result.changes.length > 0;
    if (written) {
      await copyFile(file, `${file}.bak`);
      await writeFile(file, result.text);
    }
    files.push({ file, changes: result.changes, warnings: result.warnings, text: result.text, written });
  }
  ctx.views.import().imported(files, ctx.line.write, { problems: checked.problems, warnings: checked.warnings });
  return 'success';
};
