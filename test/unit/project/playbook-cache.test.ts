// The playbook's parse kept between runs (src/project/playbook-cache.ts): a later run of the same code over the
// same text gets the same plays without parsing the YAML, and every message (which needs places in the file)
// reads the same as after a fresh parse.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryProjects } from '../../support/temporary.js';
import { ConfigError } from '../../../src/errors.js';
import { parsePlaybook } from '../../../src/inventory/playbook.js';
import { loadProject } from '../../../src/project/load.js';
import { parsePlaybookCached, type PlaybookCache } from '../../../src/project/playbook-cache.js';

const project = temporaryProjects('nodeform-playbook-cache-');

const PLAYBOOK = `- name: web
  hosts: all
  tags: [web]
  directories:
    - path: /srv/app
  files:
    - path: /srv/app/a.conf
      content: |
        name = {{ inventory_hostname }}
        rev = {{ rev }}
    - path: /srv/app/b.conf
      mode: "0600"
      content: "plain"
`;

function cacheIn(dir: string, codeKey = 'code-1'): PlaybookCache {
  return { dir: join(dir, 'parse'), codeKey };
}

describe('parsePlaybookCached', () => {
  it('parses the first time and keeps the plays; the same text then gives the same plays without a parse', () => {
    const cache = cacheIn(project({}));
    const input = { file: 'playbook.yaml', text: PLAYBOOK };
    const first = parsePlaybookCached(input, cache);
    expect(first.problems).toEqual([]);
    expect(first.playbook.source.isParsed).toBe(true);
    const files = readdirSync(cache.dir);
    expect(files).toHaveLength(1);
    expect(statSync(join(cache.dir, files[0]!)).mode & 0o777).toBe(0o600);
    expect(statSync(cache.dir).mode & 0o777).toBe(0o700);

    const second = parsePlaybookCached(input, cache);
    expect(second.playbook.source.isParsed).toBe(false);
    expect(second.problems).toEqual([]);
    expect(second.playbook.file).toBe('playbook.yaml');
    expect(second.playbook.plays).toEqual(parsePlaybook(input).playbook.plays);
    expect(second.playbook.plays[0]!.declarations[1]!.origin).toBe('playbook.yaml:7:7');
    // A place asked for parses the text then, as the fresh parse placed it.
    expect(second.playbook.source.where([0, 'files', 1, 'mode'])).toBe('playbook.yaml:12:13');
    expect(second.playbook.source.isParsed).toBe(true);
  });

  it('parses again when the text, the file name or the code differs', () => {
    const dir = project({});
    const input = { file: 'playbook.yaml', text: PLAYBOOK };
    parsePlaybookCached(input, cacheIn(dir));
    const edited = { file: 'playbook.yaml', text: PLAYBOOK.replace('rev = {{ rev }}', 'rev = {{ rev }}!') };
    const afterEdit = parsePlaybookCached(edited, cacheIn(dir));
    expect(afterEdit.playbook.source.isParsed).toBe(true);
    expect(afterEdit.playbook.plays).toEqual(parsePlaybook(edited).playbook.plays);
    expect(parsePlaybookCached(edited, cacheIn(dir)).playbook.source.isParsed).toBe(false);

    expect(parsePlaybookCached(edited, cacheIn(dir, 'code-2')).playbook.source.isParsed).toBe(true);
    expect(parsePlaybookCached(edited, cacheIn(dir, 'code-2')).playbook.source.isParsed).toBe(false);

    const renamed = parsePlaybookCached({ file: 'other.yaml', text: edited.text }, cacheIn(dir, 'code-2'));
    expect(renamed.playbook.source.isParsed).toBe(true);
    expect(renamed.playbook.plays[0]!.declarations[0]!.origin).toBe('other.yaml:5:7');
  });

  it('keeps nothing of a playbook with problems: each run parses it and reports them', () => {
    const cache = cacheIn(project({}));
    const input = { file: 'playbook.yaml', text: `${PLAYBOOK}    - path: relative/path\n      content: x\n` };
    const first = parsePlaybookCached(input, cache);
    expect(first.problems.length).toBeGreaterThan(0);
    const second = parsePlaybookCached(input, cache);
    expect(second.playbook.source.isParsed).toBe(true);
    expect(second.problems).toEqual(first.problems);
    expect(() => readdirSync(cache.dir)).toThrow();
  });

  it('keeps nothing of a playbook with vault values', () => {
    const cache = cacheIn(project({}));
    const text = `${PLAYBOOK}  vars:\n    token: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      6162\n`;
    parsePlaybookCached({ file: 'playbook.yaml', text }, cache);
    expect(() => readdirSync(cache.dir)).toThrow();
  });

  it('parses when the kept file cannot be read as a cache, and writes it again', () => {
    const cache = cacheIn(project({}));
    const input = { file: 'playbook.yaml', text: PLAYBOOK };
    parsePlaybookCached(input, cache);
    const file = join(cache.dir, readdirSync(cache.dir)[0]!);
    writeFileSync(file, 'not a cache');
    const again = parsePlaybookCached(input, cache);
    expect(again.playbook.source.isParsed).toBe(true);
    expect(again.playbook.plays).toEqual(parsePlaybook(input).playbook.plays);
    expect(parsePlaybookCached(input, cache).playbook.source.isParsed).toBe(false);
  });
});

const INVENTORY = `all:
  vars:
    rev: 1
  hosts:
    one: { ansible_host: 10.0.0.1 }
    two: { ansible_host: 10.0.0.2, rev: 2 }
`;

/** Problems only buildDesired finds (it needs the inventory): each must be placed in the playbook's text. */
const BROKEN = `- hosts: "one:nosuchhost"
  files:
    - path: /etc/a.conf
      content: |
        first line
        value = {{ undefined_here }}
- hosts: all
  files:
    - path: /etc/b.conf
      content: "b"
- hosts: two
  files:
    - path: /etc/b.conf
      content: "other b"
`;

async function load(dir: string, cache?: PlaybookCache): Promise<unknown> {
  try {
    const loaded = await loadProject({ inventoryPath: join(dir, 'inventory.yaml'), playbookPath: join(dir, 'playbook.yaml'), ...(cache ? { playbookCache: cache } : {}) });
    // The inventory holds its parsed sources (with their lookup caches): what the hosts get is compared.
    return { desired: loaded.desired, nodeSpecs: loaded.nodeSpecs, warnings: loaded.warnings, playbookPath: loaded.playbookPath };
  } catch (error) {
    if (error instanceof ConfigError) return { problems: error.problems, message: error.message };
    throw error;
  }
}

describe('loadProject with the playbook cache', () => {
  it('builds the same hosts from a kept parse as from a fresh one', async () => {
    const dir = project({ 'inventory.yaml': INVENTORY, 'playbook.yaml': PLAYBOOK });
    const cache = cacheIn(dir);
    const fresh = await load(dir);
    expect(await load(dir, cache)).toEqual(fresh);
    expect(readdirSync(cache.dir)).toHaveLength(1);
    expect(await load(dir, cache)).toEqual(fresh);
  });

  it('places every problem found after the parse as a fresh parse does (file, line, column, field, excerpt)', async () => {
    const dir = project({ 'inventory.yaml': INVENTORY, 'playbook.yaml': BROKEN });
    const cache = cacheIn(dir);
    const fresh = (await load(dir)) as { problems: unknown[]; message: string };
    // The three: an unknown host in a quoted pattern, an undefined variable inside block content, a file declared twice.
    expect(fresh.problems).toHaveLength(3);
    expect(fresh.message).toContain('nosuchhost');
    expect(fresh.message).toContain('undefined_here');
    expect(fresh.message).toContain('first at');
    await load(dir, cache);
    expect(readdirSync(cache.dir)).toHaveLength(1);
    const kept = parsePlaybookCached({ file: join(dir, 'playbook.yaml'), text: BROKEN }, cache);
    expect(kept.playbook.source.isParsed).toBe(false);
    expect(await load(dir, cache)).toEqual(fresh);
  });
});
