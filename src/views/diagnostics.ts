// What every command may say besides its result: warnings while loading, and the error that ended it. Pure.

import { ConfigError, NodeformError, errorDetails, formatProblem, problemCode, type ConfigProblem, type ErrorDetails } from '../errors.js';
import { terminalSafe } from './paint.js';
import { FORMAT_VERSION, type Writer } from './writer.js';

export type Severity = 'error' | 'warning';

/** A problem or warning for machines; line and column are null for one about a whole file, file too when it names none. */
export interface DiagnosticJson {
  severity: Severity;
  code: string;
  file: string | null;
  line: number | null;
  column: number | null;
  field: string;
  message: string;
}

/** A warning made from a message alone has no place: line 0. */
export function isLocated(problem: ConfigProblem): boolean {
  return problem.position.line > 0;
}

export function diagnosticJson(problem: ConfigProblem, severity: Severity): DiagnosticJson {
  const located = isLocated(problem);
  return {
    severity,
    code: problemCode(problem),
    // A warning about a whole file (line 0) still names the file.
    file: problem.position.file !== '' ? problem.position.file : null,
    line: located ? problem.position.line : null,
    column: located ? problem.position.column : null,
    field: problem.field,
    message: problem.message,
  };
}

/** `file:line:column: field: message`, one line (no excerpt), or the message alone when it points nowhere. */
export function warningLine(problem: ConfigProblem): string {
  if (!isLocated(problem)) return problem.message;
  const p = problem.position;
  return `${p.file}:${p.line}:${p.column}: ${problem.field ? `${problem.field}: ` : ''}${problem.message}`;
}

export interface ErrorJson {
  code: string;
  message: string;
  host?: string;
  command?: string;
  exit_code?: number;
  stderr?: string;
}

export function errorJson(details: ErrorDetails): ErrorJson {
  return {
    code: details.code,
    message: details.message,
    ...(details.host !== undefined ? { host: details.host } : {}),
    ...(details.command !== undefined ? { command: details.command } : {}),
    ...(details.exitCode !== undefined ? { exit_code: details.exitCode } : {}),
    ...(details.stderr !== undefined ? { stderr: details.stderr } : {}),
  };
}

/** Every configuration problem, then how many: the text of a ConfigError as the CLI shows it. */
export function problemsText(problems: readonly ConfigProblem[]): string {
  return `${problems.map(formatProblem).join('\n')}\n${problems.length} problem(s) found; no host was changed.\n`;
}

export interface DiagnosticsView {
  warnings(warnings: readonly ConfigProblem[]): void;
  /** A line about work under way (a download), while it happens. */
  progress(line: string): void;
  /** The error that ended the command. */
  error(error: unknown): void;
}

export class DiagnosticsHuman implements DiagnosticsView {
  constructor(private readonly out: Writer) {}

  warnings(warnings: readonly ConfigProblem[]): void {
    for (const warning of warnings) this.out.stderr(`warning: ${warningLine(warning)}\n`);
  }

  progress(line: string): void {
    // A line may name a controller path or a URL: nothing in it may drive the terminal.
    this.out.stderr(`${terminalSafe(line)}\n`);
  }

  error(error: unknown): void {
    if (error instanceof ConfigError) this.out.stderr(problemsText(error.problems));
    else if (error instanceof NodeformError) this.out.stderr(`error: ${error.message}\n`);
    else this.out.stderr(`internal error: ${(error as Error | undefined)?.stack ?? String(error)}\n`);
  }
}

/** One JSON document per line on stderr: stdout holds only the command's result. */
export class DiagnosticsJson implements DiagnosticsView {
  constructor(private readonly out: Writer) {}

  warnings(warnings: readonly ConfigProblem[]): void {
    for (const warning of warnings) this.line({ format_version: FORMAT_VERSION, diagnostic: diagnosticJson(warning, 'warning') });
  }

  progress(line: string): void {
    this.line({ format_version: FORMAT_VERSION, progress: line });
  }

  error(error: unknown): void {
    const problems = error instanceof ConfigError ? { problems: error.problems.map((p) => diagnosticJson(p, 'error')) } : {};
    this.line({ format_version: FORMAT_VERSION, error: { ...errorJson(errorDetails(error)), ...problems } });
  }

  private line(value: unknown): void {
    this.out.stderr(`${JSON.stringify(value)}\n`);
  }
}
