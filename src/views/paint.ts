// Terminal colour for the human views: SGR codes only when the CLI says colour is wanted (a terminal without NO_COLOR).

const SGR = { green: 32, yellow: 33, red: 31, cyan: 36, bold: 1, dim: 2 } as const;
export type Style = keyof typeof SGR;
export type Paint = (style: Style, text: string) => string;

export function painter(color: boolean): Paint {
  return (style, text) => (color ? `\x1b[${SGR[style]}m${text}\x1b[0m` : text);
}

/** The sequences painter() writes, and nothing else that starts with ESC. */
const OWN_SGR = new RegExp(`^\\x1b\\[(?:0|${Object.values(SGR).join('|')})m`);

/** A control character: below 0x20 but newline and tab, DEL, and the C1 controls 0x80-0x9f. */
const CONTROL = new RegExp(`[${String.fromCharCode(0)}-${String.fromCharCode(8)}${String.fromCharCode(11)}-${String.fromCharCode(0x1f)}${String.fromCharCode(0x7f)}-${String.fromCharCode(0x9f)}]`, 'g');

/**
 * Text for a terminal with every control character made visible (`\x1b`, `\r`, `\x07`, ...) but newlines, tabs and
 * painter()'s own colours: a managed file, a host's stderr or a provider's answer can hold escape sequences
 * that clear the screen, move the cursor or hide lines, and a plan must show them, not obey them. The colours
 * painter() writes stay (text may carry the same few, which can only colour, not hide).
 */
export function terminalSafe(text: string): string {
  // The text between control characters is copied in slices: a plan of thousands of files is megabytes of text.
  const parts: string[] = [];
  let from = 0;
  CONTROL.lastIndex = 0;
  for (let match = CONTROL.exec(text); match; match = CONTROL.exec(text)) {
    const i = match.index;
    const char = match[0];
    parts.push(text.slice(from, i));
    const own = char === '\x1b' ? OWN_SGR.exec(text.slice(i, i + 6)) : null;
    if (own) {
      parts.push(own[0]);
      from = i + own[0].length;
    } else {
      parts.push(`\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
      from = i + 1;
    }
    CONTROL.lastIndex = from;
  }
  if (from === 0) return text;
  parts.push(text.slice(from));
  return parts.join('');
}
