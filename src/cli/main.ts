// run(argv, io) -> exit code: parses the command line, chooses the views, dispatches to the command, and is the
// one place outcomes and errors become exit codes. Only main() touches the process.

import { createInterface } from 'node:readline/promises';
import { NodeformError } from '../errors.js';
import { chooseViews } from '../views/index.js';
import { parseCommandLine, type CommandName, type Parsed } from './arguments.js';
import { apply } from './commands/apply.js';
import { bench } from './commands/bench.js';
import { history } from './commands/history.js';
import { importCommand } from './commands/import.js';
import { plan } from './commands/plan.js';
import { providers } from './commands/providers.js';
import { reset } from './commands/reset.js';
import { status } from './commands/status.js';
import { validate } from './commands/validate.js';
import type { Command } from './context.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { HELP, VERSION } from './help.js';
import type { CliIO } from './io.js';

const COMMANDS: Record<CommandName, Command> = { import: importCommand, providers, validate, plan, apply, reset, history, status, bench };

/** Configuration and command-line errors are the operator's to fix: one code for both. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof NodeformError && (error.code === 'CONFIG' || error.code === 'USAGE')) return EXIT_CODES.invalidInput;
  return EXIT_CODES.failure;
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseCommandLine(argv, io.cwd);
  } catch (error) {
    // The command line could not be read: --json anywhere in it still asks for JSON.
    chooseViews(argv.includes('--json') ? 'json' : 'human', io, { color: false }).diagnostics.error(error);
    return exitCodeOf(error);
  }
  if (parsed.kind === 'version') {
    io.stdout(`nodeform ${VERSION}\n`);
    return EXIT_CODES.success;
  }
  if (parsed.kind === 'help' || parsed.kind === 'no-command') {
    io.stdout(HELP);
    return parsed.kind === 'help' ? EXIT_CODES.success : EXIT_CODES.invalidInput;
  }
  const { line } = parsed;
  const color = io.isTTY && !line.noColor && !io.env.NO_COLOR;
  const views = chooseViews(line.json ? 'json' : 'human', io, { color });
  try {
    return EXIT_CODES[await COMMANDS[line.command]({ io, line, views, argv })];
  } catch (error) {
    views.diagnostics.error(error);
    return exitCodeOf(error);
  }
}

export function main(): void {
  const io: CliIO = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stdout.isTTY && process.stdin.isTTY),
    env: process.env,
    cwd: process.cwd(),
    prompt: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    onInterrupt: (handler) => {
      const once = () => {
        // A second Ctrl-C ends the process as Ctrl-C does.
        process.removeListener('SIGINT', once);
        process.once('SIGINT', () => process.exit(130));
        handler();
      };
      process.once('SIGINT', once);
      return () => process.removeListener('SIGINT', once);
    },
  };
  run(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`internal error: ${String(error)}\n`);
      process.exitCode = EXIT_CODES.failure;
    },
  );
}
