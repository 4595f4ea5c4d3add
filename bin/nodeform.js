#!/usr/bin/env node
// The only file that touches the process: everything else goes through run(argv, io).
// `nodeform`, `--help` and `--version` load only the help text; every other command starts the CLI from the
// single-file build with a code cache (dist/cli/launch.js).
const argv = process.argv.slice(2);
const { quickAnswer } = await import('../dist/cli/help.js');
const quick = quickAnswer(argv);
if (quick) {
  process.stdout.write(quick.text);
  process.exitCode = quick.code;
} else {
  const { startCli } = await import('../dist/cli/launch.js');
  await startCli(argv);
}
