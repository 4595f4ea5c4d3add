// Where a playbook's `template:` reference may live. Pure: the loader tries the candidates in order.
//
// Templates are read only from the project's template directories: the playbook's directory (and below) and
// nodeform's own templates/. A reference that is absolute or climbs out with `..` could print any file of the
// controller in a plan (a private key) and install it on hosts, so it is refused unless it lies inside a
// directory the user allowed explicitly (--template-dir).

import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';

export type TemplateLookup = { candidates: { path: string; root: string }[] } | { refused: string };

/**
 * Candidates for a template reference, first match wins: relative to the playbook's directory, then under
 * nodeform's own templates/ directory (so built-in templates work from any playbook, and a playbook can ship
 * its own templates beside it). Each candidate names the directory it must stay in once links are followed.
 * Paths are compared as written (no working directory is read): give playbookFile and the directories absolute.
 */
export function templateCandidates(reference: string, playbookFile: string, builtinTemplatesDir: string, allowedDirs: readonly string[] = []): TemplateLookup {
  const playbookDir = normalize(dirname(playbookFile));
  const allowed = allowedDirs.map((dir) => normalize(dir));
  if (isAbsolute(reference)) {
    const root = [playbookDir, ...allowed].find((dir) => isInside(dir, normalize(reference)));
    return root ? { candidates: [{ path: normalize(reference), root }] } : { refused: outsideMessage(reference) };
  }
  const candidates = [
    { path: join(playbookDir, reference), root: playbookDir },
    { path: join(builtinTemplatesDir, reference), root: normalize(builtinTemplatesDir) },
  ].map((candidate) => (isInside(candidate.root, candidate.path) ? candidate : { path: candidate.path, root: allowed.find((dir) => isInside(dir, candidate.path)) }));
  const inside = candidates.filter((candidate): candidate is { path: string; root: string } => candidate.root !== undefined);
  return inside.length > 0 ? { candidates: inside } : { refused: outsideMessage(reference) };
}

/** True when path is root or below it (both absolute, normalised). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

function outsideMessage(reference: string): string {
  return `template '${reference}' is outside the playbook's directory and nodeform's templates/: templates are read only from there; move it beside the playbook, or allow its directory with --template-dir DIR`;
}

export function templateNotFoundMessage(reference: string): string {
  return `template '${reference}' not found next to the playbook or in nodeform's templates/ directory`;
}

/**
 * Where a `source:` file (copied as is) may be read from: relative to the playbook's directory, confined like a
 * template (an absolute path or one climbing out with `..` only inside a --template-dir). Not from nodeform's own
 * templates/: a copy is the user's file.
 */
export function copyCandidates(reference: string, playbookFile: string, allowedDirs: readonly string[] = []): TemplateLookup {
  const playbookDir = normalize(dirname(playbookFile));
  const path = isAbsolute(reference) ? normalize(reference) : join(playbookDir, reference);
  const root = [playbookDir, ...allowedDirs.map((dir) => normalize(dir))].find((dir) => isInside(dir, path));
  return root ? { candidates: [{ path, root }] } : { refused: copyOutsideMessage(reference) };
}

function copyOutsideMessage(reference: string): string {
  return `source '${reference}' is outside the playbook's directory: files are copied only from there (a path out of it could send any file of the controller to the hosts); move it beside the playbook, or allow its directory with --template-dir DIR`;
}

export function copyNotFoundMessage(reference: string): string {
  return `source '${reference}' not found: the file to copy must exist, relative to the playbook's directory`;
}
