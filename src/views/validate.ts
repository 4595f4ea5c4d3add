// `nodeform validate`: "valid" or every problem with file:line:column; as JSON, every problem and warning with
// its stable code (docs/problem-codes.md). Human output says the warnings on stderr exactly as plan does
// (old names included): when the configuration is valid, the lines plan would print; with problems, only the
// problems, as plan shows them. Pure.

import type { ConfigProblem } from '../errors.js';
import { diagnosticJson, problemsText, warningLine, type DiagnosticJson } from './diagnostics.js';
import { FORMAT_VERSION, jsonText, type Writer } from './writer.js';

export interface Validation {
  inventoryPath: string;
  playbookPath?: string;
  problems: readonly ConfigProblem[];
  warnings: readonly ConfigProblem[];
}

export interface ValidateView {
  validated(result: Validation): void;
}

export class ValidateHuman implements ValidateView {
  constructor(private readonly out: Writer) {}

  validated(result: Validation): void {
    if (result.problems.length > 0) {
      this.out.stderr(problemsText(result.problems));
      return;
    }
    for (const warning of result.warnings) this.out.stderr(`warning: ${warningLine(warning)}\n`);
    this.out.stdout(`valid: ${result.inventoryPath}${result.playbookPath ? ` and ${result.playbookPath}` : ''}\n`);
  }
}

export interface ValidateJsonDocument {
  format_version: number;
  valid: boolean;
  inventory: string;
  playbook: string | null;
  /** Problems first, then warnings, each in the order found. */
  diagnostics: DiagnosticJson[];
}

export class ValidateJson implements ValidateView {
  constructor(private readonly out: Writer) {}

  validated(result: Validation): void {
    const document: ValidateJsonDocument = {
      format_version: FORMAT_VERSION,
      valid: result.problems.length === 0,
      inventory: result.inventoryPath,
      playbook: result.playbookPath ?? null,
      diagnostics: [...result.problems.map((p) => diagnosticJson(p, 'error')), ...result.warnings.map((w) => diagnosticJson(w, 'warning'))],
    };
    this.out.stdout(jsonText(document));
  }
}
