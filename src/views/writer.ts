// What a view writes through: the command's result goes to stdout, diagnostics and questions' context to stderr.
// The CLI passes its io; tests pass strings.

export interface Writer {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface ViewOptions {
  /** Colour the human output (decided by the CLI: a terminal without NO_COLOR or --no-color). */
  color: boolean;
}

/** Every JSON output but the plan (whose shape schemas/plan.schema.json fixes) starts with this. */
export const FORMAT_VERSION = 1;

export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
