// Plain resources as nodeform's own node resources declare them (root-owned files and directories, units
// under /etc/systemd/system) and the built-in templates they render. Shared by the node's resources and its
// checkpoint fallback. Pure.

import type { DirectoryResource, FileResource, LocalFile, UnitResource } from '../model/types.js';
import { UNIT_DIR } from '../model/types.js';
import { renderString } from '../render/handlebars.js';
import { sha256Hex } from '../util/sha256.js';


export function directory(path: string, owner: string, mode: string, tags: string[]): DirectoryResource {
  return { kind: 'directory', id: `dir:${path}`, tags, path, mode, owner, group: owner === 'root' ? 'root' : owner };
}

export function textFile(path: string, content: string, mode: string, tags: string[]): FileResource {
  return { kind: 'file', id: `file:${path}`, tags, path, content, encoding: 'utf8', sha256: sha256Hex(content), mode, owner: 'root', group: 'root', secret: false };
}

/** A root-owned file of bytes (base64); its sha256 is computed unless the caller already knows it. */
export function bytesFile(path: string, base64: string, mode: string, tags: string[], sha = sha256Hex(Buffer.from(base64, 'base64'))): FileResource {
  return { kind: 'file', id: `file:${path}`, tags, path, content: base64, encoding: 'base64', sha256: sha, mode, owner: 'root', group: 'root', secret: false };
}

/** A root-owned file whose bytes are a controller file, streamed to the hosts that lack them (never held in memory). */
export function localFile(path: string, local: LocalFile, mode: string, tags: string[]): FileResource {
  return { kind: 'file', id: `file:${path}`, tags, path, content: '', encoding: 'base64', sha256: local.sha256, local, mode, owner: 'root', group: 'root', secret: false };
}

export function unit(name: string, content: string, options: { enabled: boolean; active: boolean; restartOn: string[]; tags: string[] }): UnitResource {
  return {
    kind: 'unit',
    id: `unit:${name}`,
    tags: options.tags,
    name,
    path: `${UNIT_DIR}/${name}`,
    content,
    sha256: sha256Hex(content),
    enabled: options.enabled,
    active: options.active,
    restartOn: [...new Set(options.restartOn)].sort(),
  };
}

/**
 * A unit whose file is not nodeform's (another tool installed it): only its enablement and activity, those given, are
 * managed; its file is never written or removed, and a host without the unit has nothing to do.
 */
export function stateOnlyUnit(name: string, state: { enabled?: boolean | undefined; active?: boolean | undefined }, tags: string[], origin?: string): UnitResource {
  return {
    kind: 'unit',
    id: `unit:${name}`,
    tags,
    ...(origin !== undefined ? { origin } : {}),
    name,
    path: `${UNIT_DIR}/${name}`,
    content: '',
    sha256: '',
    stateOnly: true,
    ...(state.enabled !== undefined ? { enabled: state.enabled } : {}),
    ...(state.active !== undefined ? { active: state.active } : {}),
    restartOn: [],
  };
}

export function render(template: string, context: Record<string, unknown>, what: string): string {
  const out = renderString(template, context);
  if (!out.ok) throw new Error(`built-in template for ${what}: ${out.failure.message}`);
  return out.text;
}
