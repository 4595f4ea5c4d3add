#!/usr/bin/env node
// The only file that touches the process: everything else goes through run(argv, io).
// `nodeform`, `--help` and `--version` load only the help text; every other command loads the CLI.
const argv = process.argv.slice(2);
const { quickAnswer } = await import('../dist/cli/help.js');
const quick = quickAnswer(argv);
if (quick) {
  process.stdout.write(quick.text);
  process.exitCode = quick.code;
} else {
  const { main } = await import('../dist/cli/main.js');
  main();
}
