// `nodeform import`: what was renamed in each file, and the rewritten files (or where they were written). Pure.

import { FORMAT_VERSION, jsonText, type Writer } from './writer.js';

export interface ImportedFile {
  file: string;
  /** One line per change, with the file:line:column of what was there before. */
  changes: string[];
  /** The rewritten text (the same text when nothing changed). */
  text: string;
  /** Rewritten in place, the old one kept as FILE.bak. */
  written: boolean;
}

export interface ImportView {
  imported(files: readonly ImportedFile[], write: boolean): void;
}

export class ImportHuman implements ImportView {
  constructor(private readonly out: Writer) {}

  imported(files: readonly ImportedFile[], write: boolean): void {
    for (const file of files) {
      for (const change of file.changes) this.out.stderr(`${change}\n`);
      if (file.changes.length === 0) continue;
      if (file.written) this.out.stderr(`rewrote ${file.file} (the old one is ${file.file}.bak)\n`);
      else this.out.stdout(`# ${file.file}\n${file.text}`);
    }
    if (!files.some((f) => f.changes.length > 0)) this.out.stderr('nothing to import: no old variable names found\n');
    else if (!write) this.out.stderr('nothing was written; rerun with --write to rewrite the files in place (keeping .bak copies)\n');
  }
}

export class ImportJson implements ImportView {
  constructor(private readonly out: Writer) {}

  imported(files: readonly ImportedFile[]): void {
    const changed = files.filter((f) => f.changes.length > 0);
    this.out.stdout(jsonText({ format_version: FORMAT_VERSION, files: changed.map((f) => ({ file: f.file, changes: f.changes, written: f.written, text: f.text })) }));
  }
}
