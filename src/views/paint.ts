// Terminal colour for the human views: SGR codes only when the CLI says colour is wanted (a terminal without NO_COLOR).

const SGR = { green: 32, yellow: 33, red: 31, cyan: 36, bold: 1, dim: 2 } as const;
export type Style = keyof typeof SGR;
export type Paint = (style: Style, text: string) => string;

export function painter(color: boolean): Paint {
  return (style, text) => (color ? `\x1b[${SGR[style]}m${text}\x1b[0m` : text);
}
