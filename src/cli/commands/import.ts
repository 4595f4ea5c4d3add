// nodeform import: rewrites an inventory that uses the old scripts' variable names into nodeform's settings,
// in exactly the files the loader reads (the inventory, group_vars/ and host_vars/, files without an extension too).

import { copyFile, writeFile } from 'node:fs/promises';
import { ConfigError } from '../../errors.js';
import { importInventory, importVars } from '../../node/import.js';
import { readInventorySources } from '../../project/load.js';
import type { ImportedFile } from '../../views/import.js';
import { inventoryPath, type Command } from '../context.js';

export const importCommand: Command = async (ctx) => {
  const sources = await readInventorySources(inventoryPath(ctx.line));
  if ('problem' in sources) throw new ConfigError([sources.problem]);
  if ('problems' in sources) throw new ConfigError(sources.problems);
  const files: ImportedFile[] = [];
  const varsFiles = [...(sources.groupVars ?? []), ...(sources.hostVars ?? [])];
  const texts = [{ ...sources.inventory, isInventory: true }, ...varsFiles.map((v) => ({ file: v.file, text: v.text, isInventory: false }))];
  for (const { file, text, isInventory } of texts) {
    const result = isInventory ? importInventory(text, file) : importVars(text, file);
    const written = ctx.line.write && result.changes.length > 0;
    if (written) {
      await copyFile(file, `${file}.bak`);
      await writeFile(file, result.text);
    }
    files.push({ file, changes: result.changes, text: result.text, written });
  }
  ctx.views.import().imported(files, ctx.line.write);
  return 'success';
};
