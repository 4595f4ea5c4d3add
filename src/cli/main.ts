// run(argv, io) -> exit code: parses the command line, chooses the views, dispatches to the command, and is the
// one place outcomes and errors become exit codes. Only main() touches the process.

import { createInterface } from 'node:readline/promises';
import { NodeformError } from '../errors.js';
import { chooseViews } from '../views/index.js';
import { parseCommandLine, type CommandName, type Parsed } from './arguments.js';
import { apply } from './commands/apply.js';
import { drift } from './commands/drift.js';
import { report } from './commands/report.js';
import { bench } from './commands/bench.js';
import { history } from './commands/history.js';
import { importCommand } from './commands/import.js';
import { plan } from './commands/plan.js';
import { providers } from './commands/providers.js';
import { reset } from './commands/reset.js';
import { status } from './commands/status.js';
import { validate } from './commands/validate.js';
import type { Command } from './context.js';
import { EventSink } from './events.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { HELP, VERSION } from './help.js';
import type { CliIO } from './io.js';
import type { PlaybookCache } from '../project/playbook-cache.js';

const COMMANDS: Record<CommandName, Command> = { import: importCommand, providers, validate, plan, apply, reset, history, status, drift, report, bench };

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
  const shard = line.shard ? `shard ${line.shard.index} of ${line.shard.count}` : undefined;
  // --events ndjson without a file: stdout is the events' alone, and what the views print goes to stderr.
  const viewIO = line.events && line.events.path === undefined ? { ...io, stdout: io.stderr } : io;
  const views = chooseViews(line.json ? 'json' : line.format, viewIO, { color, markdown: shard ? { titleSuffix: shard } : {} });
  let events: EventSink | undefined;
  try {
    if (line.events) events = new EventSink(io, line);
    const outcome = await COMMANDS[line.command]({ io, line, views, argv, ...(events ? { events } : {}) });
    events?.finish(outcome, EXIT_CODES[outcome]);
    return EXIT_CODES[outcome];
  } catch (error) {
    views.diagnostics.error(error);
    events?.finish('error', exitCodeOf(error));
    return exitCodeOf(error);
  }
}

export interface MainOptions {
  /** Given by the bundle's launcher (launch.ts): where the playbook's parse is kept, under the bundle's identity. */
  playbookCache?: PlaybookCache;
}

export function main(options: MainOptions = {}): void {
  const io: CliIO = {
    ...(options.playbookCache ? { playbookCache: options.playbookCache } : {}),
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stdout.isTTY && process.stdin.isTTY),
    env: process.env,
    cwd: process.cwd(),
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
    prompt: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
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
