// Value rules the schema cannot say well: remote paths. Each check returns the message to show,
// or undefined when the value is fine.

// Characters a POSIX shell treats specially anywhere in a word, plus whitespace. Paths are quoted
// when sent anyway; refusing these keeps plans readable and mistakes (like "$(...)") loud.
const SHELL_METACHARACTERS = /[\s`$;|&<>(){}[\]*?!'"\\]/g;

function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function showCharacter(character: string): string {
  if (character === ' ') return 'space';
  if (character === '\t') return 'tab';
  return `'${character}'`;
}

/** A path on a managed host: absolute, no shell metacharacters, control characters or '..'. */
export function remotePathProblem(value: string): string | undefined {
  if (value === '') return 'must not be empty';
  if (hasControlCharacter(value)) return 'must not contain control characters (newlines, escapes)';
  const found = [...new Set(value.match(SHELL_METACHARACTERS) ?? [])];
  if (found.length > 0) {
    return `must not contain shell metacharacters (${found.map(showCharacter).join(', ')})`;
  }
  if (!value.startsWith('/')) return `must be an absolute path: start it with / (got "${value}")`;
  if (value.split('/').includes('..')) return "must not contain '..' segments: write the path it leads to";
  if (normalizeRemotePath(value) === '/') return 'must name something below /';
  return undefined;
}

/** `/etc//demo/./x/` -> `/etc/demo/x`, so one path has one spelling in plans and duplicate checks. */
export function normalizeRemotePath(value: string): string {
  // Already in its one spelling (most paths): no split and join.
  if (value.length > 1 && value.charCodeAt(0) === 47 && !value.endsWith('/') && !value.includes('//') && !value.includes('/./') && !value.endsWith('/.')) return value;
  const segments = value.split('/').filter((segment) => segment !== '' && segment !== '.');
  return `/${segments.join('/')}`;
}
