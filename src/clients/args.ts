// Building command lines: each flag is one or two argv words, never a shell string.

export type FlagStyle = 'equals' | 'separate';

/** `--name=value` or `--name value`, per the client's documented style. */
export function flag(style: FlagStyle, name: string, value: string | number): string[] {
  return style === 'equals' ? [`${name}=${value}`] : [name, String(value)];
}

/** The flag name of an argv word: `--datadir=/x` -> `--datadir`; words not starting with `-` -> undefined. */
export function flagName(word: string): string | undefined {
  if (!word.startsWith('-')) return undefined;
  const eq = word.indexOf('=');
  return eq === -1 ? word : word.slice(0, eq);
}

/** Every flag name in an argv (the binary and subcommands are skipped). */
export function flagsOf(argv: readonly string[]): string[] {
  return argv.map(flagName).filter((f): f is string => f !== undefined);
}
