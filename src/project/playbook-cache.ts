// The playbook's parse, kept between runs. Parsing a large playbook's YAML with positions is most of what a run
// does before it asks any host (5,000 files: about a quarter of a second). A playbook that parsed without a
// problem is kept as its plays (plain data) in the cache directory, under the identity of the code that parsed
// it (the bundle's, as its code cache is keyed) and the playbook's name and text; a later run of the same text
// takes the plays, and parses the YAML again only when a message needs a place in it (YamlSource.deferred).

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { parsePlaybook, playbookOfPlays, type Play, type PlaybookResult } from '../inventory/playbook.js';
import type { SourceFile } from '../inventory/source.js';
import { isVaultText } from '../inventory/vault.js';

export interface PlaybookCache {
  /** A directory of the controller's cache (one file per playbook name in it). */
  dir: string;
  /** The identity of the code that parses: a cached parse of other code is never used. */
  codeKey: string;
}

function digest(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest('hex');
}

/** parsePlaybook's result, taken from the cache when the same code parsed the same text before. */
export function parsePlaybookCached(input: SourceFile, cache: PlaybookCache | undefined): PlaybookResult {
  // Vault-encrypted text or values are never kept: the cache would hold what they open to.
  if (!cache || isVaultText(input.text) || input.text.includes('!vault')) return parsePlaybook(input);
  const file = join(cache.dir, `playbook-${digest(input.file).slice(0, 16)}.v8`);
  const key = digest(cache.codeKey, input.file, input.text);
  try {
    const entry = deserialize(readFileSync(file)) as { key?: unknown; plays?: unknown };
    if (entry.key === key && Array.isArray(entry.plays)) return playbookOfPlays(input, entry.plays as Play[]);
  } catch {
    // No cache yet (or one that cannot be read): parsed below.
  }
  const result = parsePlaybook(input);
  // A playbook with problems is parsed each time: its messages need the parse.
  if (result.problems.length === 0) save(file, key, result.playbook.plays);
  return result;
}

function save(file: string, key: string, plays: Play[]): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    // Another run may save the same playbook: each writes its own file and renames it into place.
    writeFileSync(temp, serialize({ key, plays }), { mode: 0o600 });
    renameSync(temp, file);
  } catch {
    // A cache that cannot be written only costs the next run the parse.
    rmSync(temp, { force: true });
  }
}
