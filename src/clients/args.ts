// Building command lines: each flag is one or two argv words, never a shell string.

import type { Setting } from './settings.js';

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

/**
 * Builds a command line and, for every flag it adds, records the NodeSpec setting that owns it
 * (ClientRendering.managedFlags), so argv and managedFlags cannot drift apart.
 */
export class CommandLine {
  readonly argv: string[];
  readonly managed: Record<string, Setting>;

  /**
   * `first`: the binary, or the binary and its subcommand. `managed`: an owner record to fill, when two
   * command lines (a service and its init step) report their flags together.
   */
  constructor(
    first: string | readonly string[],
    private readonly style: FlagStyle,
    managed: Record<string, Setting> = {},
  ) {
    this.argv = typeof first === 'string' ? [first] : [...first];
    this.managed = managed;
  }

  /** A flag with a value, in the client's documented style. */
  set(name: string, value: string | number, setting: Setting): this {
    this.argv.push(...flag(this.style, name, value));
    this.managed[name] = setting;
    return this;
  }

  /** A flag without a value. */
  on(name: string, setting: Setting): this {
    this.argv.push(name);
    this.managed[name] = setting;
    return this;
  }

  /**
   * A flag nodeform sets another way (an environment variable the client reads instead): owned, so extra_args
   * may not set it, but not on the command line.
   */
  own(name: string, setting: Setting): this {
    this.managed[name] = setting;
    return this;
  }

  /** A flag given once per value (e.g. `--bootstrap-node`, which takes one ENR per occurrence); owned only when given. */
  repeat(name: string, values: readonly string[], setting: Setting): this {
    for (const v of values) this.argv.push(...flag(this.style, name, v));
    if (values.length > 0) this.managed[name] = setting;
    return this;
  }

  /** Words nodeform does not own (extra_args), appended as given. */
  append(words: readonly string[]): this {
    this.argv.push(...words);
    return this;
  }
}
