// Builders for in-memory resources and facts, so table-driven tests stay short.
import { createHash } from 'node:crypto';
import { UNIT_DIR } from '../../src/model/types.js';
import type { Desired, DirectoryResource, Facts, FileResource, PathFact, Resource, UnitResource } from '../../src/model/types.js';

export const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

export function file(path: string, content: string, extra: Partial<FileResource> = {}): FileResource {
  return { kind: 'file', id: `file:${path}`, tags: [], path, content, encoding: 'utf8', sha256: sha(content), mode: '0644', owner: 'root', group: 'root', secret: false, ...extra };
}

export function dir(path: string, extra: Partial<DirectoryResource> = {}): DirectoryResource {
  return { kind: 'directory', id: `directory:${path}`, tags: [], path, mode: '0755', owner: 'root', group: 'root', ...extra };
}

export function unit(name: string, content: string, extra: Partial<UnitResource> = {}): UnitResource {
  return { kind: 'unit', id: `unit:${name}`, tags: [], name, path: `${UNIT_DIR}/${name}`, content, sha256: sha(content), enabled: true, active: true, restartOn: [], ...extra };
}

export function desired(resources: Resource[], stateDir = '/var/lib/nodeform'): Desired {
  return {
    host: 'h1',
    connection: { name: 'h1', address: 'h1', identityFiles: [], become: false, becomeUser: 'root', knownHostsFiles: [], connection: 'ssh' },
    settings: { stateDir, keepGenerations: 5 },
    vars: {},
    resources,
  };
}

export function emptyFacts(): Facts {
  return { host: 'h1', paths: {}, units: {}, users: {}, record: { managed: [], generations: [], original: [] } };
}

export function present(path: string, content: string, extra: Partial<PathFact> = {}): PathFact {
  return { path, exists: true, type: 'file', mode: '0644', owner: 'root', group: 'root', size: content.length, sha256: sha(content), content: Buffer.from(content).toString('base64'), ...extra };
}
