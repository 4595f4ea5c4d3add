// `nodeform import`: what was rewritten in each file, what to do with what was not, the rewritten files (or where
// they were written), and whether the result validates. Pure.

import type { ConfigProblem } from '../errors.js';
import { diagnosticJson, problemsText, warningLine, type DiagnosticJson } from './diagnostics.js';
import { FORMAT_VERSION, jsonText, type Writer } from './writer.js';

export interface ImportedFile {
  file: string;
  /** One line per change, with the file:line:column of what was there before. */
  changes: string[];
  /** One line per variable or reference left as it was, saying what to do, with its file:line:column. */
  warnings: string[];
  /** The rewritten text (the same text when nothing changed). */
  text: string;
  /** Rewritten in place, the old one kept as FILE.bak. */
  written: boolean;
}

/** What `nodeform validate` says of the imported inventory with a node play over all its hosts. */
export interface ImportCheck {
  problems: readonly ConfigProblem[];
  warnings: readonly ConfigProblem[];
}

export interface ImportView {
  imported(files: readonly ImportedFile[], write: boolean, check: ImportCheck): void;
}

export class ImportHuman implements ImportView {
  constructor(private readonly out: Writer) {}

  imported(files: readonly ImportedFile[], write: boolean, check: ImportCheck): void {
    for (const file of files) {
      for (const change of file.changes) this.out.stderr(`${change}\n`);
      for (const warning of file.warnings) this.out.stderr(`warning: ${warning}\n`);
      if (file.changes.length === 0) continue;
      if (file.written) this.out.stderr(`rewrote ${file.file} (the old one is ${file.file}.bak)\n`);
      else this.out.stdout(`# ${file.file}\n${file.text}`);
    }
    const changed = files.some((f) => f.changes.length > 0);
    if (!changed) this.out.stderr(`nothing to rewrite${files.some((f) => f.warnings.length > 0) ? ': the warnings above say what to do with the rest' : ''}\n`);
    else if (!write) this.out.stderr('nothing was written; rerun with --write to rewrite the files in place (keeping .bak copies)\n');
    const what = changed ? 'the imported inventory' : 'the inventory';
    if (check.problems.length > 0) {
      this.out.stderr(`${what} does not validate yet (checked as nodeform validate checks a node play over all its hosts); fix these:\n`);
      this.out.stderr(problemsText(check.problems));
      return;
    }
    for (const warning of check.warnings) this.out.stderr(`warning: ${warningLine(warning)}\n`);
    this.out.stderr(`${what} validates (checked as nodeform validate checks a node play over all its hosts)\n`);
  }
}

export interface ImportJsonDocument {
  format_version: number;
  files: { file: string; changes: string[]; warnings: string[]; written: boolean; text: string }[];
  /** The rewritten inventory checked with a node play over all hosts: problems first, then warnings. */
  valid: boolean;
  diagnostics: DiagnosticJson[];
}

export class ImportJson implements ImportView {
  constructor(private readonly out: Writer) {}

  imported(files: readonly ImportedFile[], _write: boolean, check: ImportCheck): void {
    const listed = files.filter((f) => f.changes.length > 0 || f.warnings.length > 0);
    const document: ImportJsonDocument = {
      format_version: FORMAT_VERSION,
      files: listed.map((f) => ({ file: f.file, changes: f.changes, warnings: f.warnings, written: f.written, text: f.text })),
      valid: check.problems.length === 0,
      diagnostics: [...check.problems.map((p) => diagnosticJson(p, 'error')), ...check.warnings.map((w) => diagnosticJson(w, 'warning'))],
    };
    this.out.stdout(jsonText(document));
  }
}
