// Real probe output from lab hosts (test/fixtures/facts/<case>.json, made by `npm run capture-facts`, as root):
// the probe request, the raw output and the facts parse.ts must make of it. Like pyinfra's fact fixtures.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFacts } from '../../../src/facts/parse.js';
import { buildProbe, type ProbeRequest } from '../../../src/facts/probe.js';
import { ENTRY_BASE_LENGTH, ENTRY_FILE_FIELDS, RECORDS, SECRET_FLAG, recordOf } from '../../../src/facts/records.js';
import type { Facts } from '../../../src/model/types.js';
import { sha } from '../helpers.js';

interface Fixture {
  description: string;
  host: string;
  setup: string[];
  request: ProbeRequest;
  command: string;
  probeSha256: string;
  output: string;
  facts: Facts;
}

const dir = join(import.meta.dirname, '../../fixtures/facts');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture] as const);

describe('facts fixtures captured from lab hosts', () => {
  it('has the cases capture-facts makes', () => {
    expect(fixtures.map(([name]) => name)).toEqual(['after-applies', 'fresh-host', 'odd-paths']);
  });

  describe.each(fixtures)('%s', (_name, fixture) => {
    it('was captured with the probe as it is now (else run npm run capture-facts as root and review the diff)', () => {
      const probe = buildProbe(fixture.request);
      expect(probe.command).toBe(fixture.command);
      expect(sha(probe.script)).toBe(fixture.probeSha256);
    });

    it('parses to the recorded facts', () => {
      expect(parseFacts(fixture.host, fixture.output)).toEqual(fixture.facts);
    });

    it('holds only records that records.ts defines, each with its fields', () => {
      const lines = fixture.output.split('\n').filter(Boolean);
      expect(lines.at(-1)).toBe(RECORDS.end.tag);
      for (const line of lines) {
        const [tag = '', ...fields] = line.split('\t');
        const name = recordOf(tag);
        expect(name, line).toBeDefined();
        const wanted = RECORDS[name!].fields.length;
        // A missing path, user or program has the short form: name and `missing`.
        if (fields[1] === 'missing' && ['path', 'user', 'binary'].includes(name!)) expect(fields, line).toHaveLength(2);
        // An entry carries a user's details only for a user that existed before nodeform, a file its secret flag.
        else if (name === 'original' || name === 'lastEntry') expect(fields[0] === 'file' ? [ENTRY_BASE_LENGTH, ENTRY_FILE_FIELDS.length] : [ENTRY_BASE_LENGTH, wanted], line).toContain(fields.length);
        // A managed line has the secret flag only for a secret file.
        else if (name === 'managed' || name === 'managedBefore') expect(fields.length === wanted ? fields[2] : 'none', line).toBe(fields[0] === 'file' && fields.length === wanted ? SECRET_FLAG : 'none');
        else expect(fields, line).toHaveLength(wanted);
      }
    });

    it('gives each secret asked for its digests under the host key, never its plain sha256 there', () => {
      const secrets = fixture.request.paths.filter((p) => p.secret && !p.noHash);
      for (const { path, wantSha } of secrets) {
        const fact = fixture.facts.paths[path]!;
        expect(fact.keyedWantSha256, path).toMatch(/^[0-9a-f]{64}$/);
        expect([wantSha, fact.sha256]).not.toContain(fact.keyedWantSha256);
        if (fact.exists) {
          expect(fact.keyedSha256, path).toMatch(/^[0-9a-f]{64}$/);
          expect([wantSha, fact.sha256]).not.toContain(fact.keyedSha256);
          // Equal content, equal digests: the host's copy as wanted has the wanted content's digest.
          expect(fact.keyedSha256 === fact.keyedWantSha256, path).toBe(fact.sha256 === wantSha);
        }
        else expect(fact.keyedSha256).toBeUndefined();
      }
      const hasSecrets = fixture.request.paths.some((p) => p.secret);
      expect(fixture.output.includes(`\n${RECORDS.keyed.tag}\t`)).toBe(hasSecrets);
    });

    it('is refused when cut off before END', () => {
      const cut = fixture.output.slice(0, fixture.output.lastIndexOf(RECORDS.end.tag));
      expect(() => parseFacts(fixture.host, cut)).toThrow(/ended early/);
    });

    it('ignores a login banner and shell noise around the records', () => {
      const noisy = `Welcome to the lab\n${fixture.output.replace('\n', '\nsh: 1: warning: something\n')}`;
      expect(parseFacts(fixture.host, noisy)).toEqual(fixture.facts);
    });
  });
});
