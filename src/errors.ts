// One base error with a `code`; the CLI maps codes to exit codes in one place.

import type { ErrorCode, ErrorDetails } from './model/results.js';

export type { ErrorCode, ErrorDetails };

export class NodeformError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'NodeformError';
  }
}

/** Where in a user's file a problem is. Lines and columns count from 1; line 0 means the file (or argument) as a whole. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/**
 * A problem's stable identifier, for machines (validate --json) and docs/problem-codes.md: `yaml.<parser code>`,
 * `schema.<keyword>`, or `config.invalid` for a hand-written check that names none.
 */
export type ProblemCode = string;
export const GENERIC_PROBLEM_CODE: ProblemCode = 'config.invalid';

export interface ConfigProblem {
  /** Absent where a problem is made by hand without one: read it with problemCode(). */
  code?: ProblemCode;
  position: SourcePosition;
  /** Dotted path of the field, e.g. `all.children.beacon.hosts.lab1.ansible_port`. */
  field: string;
  message: string;
  /** The offending line with a caret under the value, when the source is known. */
  excerpt?: string;
}

/** All configuration problems found at once, each with file:line:column and field. */
export class ConfigError extends NodeformError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super('CONFIG', problems.map(formatProblem).join('\n'));
    this.problems = problems;
    this.name = 'ConfigError';
  }
}

export function problemCode(problem: ConfigProblem): ProblemCode {
  return problem.code ?? GENERIC_PROBLEM_CODE;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.position.line > 0 ? `${p.position.file}:${p.position.line}:${p.position.column}` : p.position.file;
  const head = `${where}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
  return p.excerpt ? `${head}\n${p.excerpt}` : head;
}

export class TransportError extends NodeformError {
  readonly host: string;
  /** What went wrong, without the host and details the full message adds. */
  readonly reason: string;
  readonly command?: string;
  readonly exitCode?: number;
  readonly stderr?: string;
  /** OUTCOME_UNKNOWN: why the connection was lost (the keepalive went unanswered, the host closed it, ...). */
  readonly lost?: string;
  constructor(
    host: string,
    message: string,
    details: { command?: string; exitCode?: number; stderr?: string; code?: ErrorCode; cause?: unknown; lost?: string } = {},
  ) {
    const tail = [
      details.command !== undefined ? `command: ${details.command}` : '',
      details.exitCode !== undefined ? `exit code: ${details.exitCode}` : '',
      details.stderr ? `stderr: ${details.stderr.trim()}` : '',
    ].filter(Boolean);
    super(details.code ?? 'TRANSPORT', `${host}: ${message}${tail.length ? `\n  ${tail.join('\n  ')}` : ''}`, {
      cause: details.cause,
    });
    this.host = host;
    this.reason = message;
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.stderr = details.stderr;
    if (details.lost !== undefined) this.lost = details.lost;
    this.name = 'TransportError';
  }
}


/** Any thrown value as ErrorDetails; `host` names the host it happened on when the error itself does not. */
export function errorDetails(error: unknown, host?: string): ErrorDetails {
  if (error instanceof TransportError) {
    return {
      code: error.code,
      message: error.reason,
      host: error.host,
      ...(error.command !== undefined ? { command: error.command } : {}),
      ...(error.exitCode !== undefined ? { exitCode: error.exitCode } : {}),
      ...(error.stderr ? { stderr: error.stderr } : {}),
    };
  }
  const code: ErrorCode = error instanceof NodeformError ? error.code : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  return { code, message, ...(host !== undefined ? { host } : {}) };
}
