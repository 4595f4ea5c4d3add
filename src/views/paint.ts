// Terminal colour for the human views: SGR codes only when the CLI says colour is wanted (a terminal without NO_COLOR).

const SGR = { green: 32, yellow: 33, red: 31, cyan: 36, bold: 1, dim: 2 } as const;
export type Style = keyof typeof SGR;
export type Paint = (style: Style, text: string) => string;

export function painter(color: boolean): Paint {
  return (style, text) => (color ? `\x1b[${SGR[style]}m${text}\x1b[0m` : text);
}

/** The sequences painter() writes, and nothing else that starts with ESC. */
const OWN_SGR = new RegExp(`^\\x1b\\[(?:0|${Object.values(SGR).join('|')})m`);

/**
 * Text for a terminal with every control character made visible (`\x1b`, `\r`, `\x07`, ...) but newlines, tabs and
 * painter()'s own colours: a managed file, a host's stderr or a provider's answer can hold escape sequences
 * that clear the screen, move the cursor or hide lines, and a plan must show them, not obey them. The colours
 * painter() writes stay (text may carry the same few, which can only colour, not hide).
 */
export function terminalSafe(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const code = char.charCodeAt(0);
    const control = (code < 0x20 && char !== '\n' && char !== '\t') || code === 0x7f || (code >= 0x80 && code <= 0x9f);
    if (!control) {
      out += char;
      continue;
    }
    const own = char === '\x1b' ? OWN_SGR.exec(text.slice(i, i + 6)) : null;
    if (own) {
      out += own[0];
      i += own[0].length - 1;
      continue;
    }
    out += `\\x${code.toString(16).padStart(2, '0')}`;
  }
  return out;
}
