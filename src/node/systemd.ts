// systemd's own command-line quoting for ExecStart= (systemd.service(5), "Command lines").

const PLAIN = /^[A-Za-z0-9_@+=:,./-]+$/;

/** One argv word as systemd reads it back: specifiers (%) and variables ($) never expand. */
export function systemdWord(word: string): string {
  const literal = word.replaceAll('%', '%%').replaceAll('$', '$$$$');
  if (PLAIN.test(word)) return literal;
  return `"${literal.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
}

export function execStart(argv: readonly string[]): string {
  return argv.map(systemdWord).join(' ');
}
