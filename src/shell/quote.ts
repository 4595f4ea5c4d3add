// The one place remote command lines are built. User input is only ever passed through quote().

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one word for POSIX sh. */
export function quote(word: string): string {
  if (word === '') return "''";
  if (SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Builds a command line from argv, each word quoted. */
export function command(argv: readonly string[]): string {
  return argv.map(quote).join(' ');
}
