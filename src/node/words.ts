// extra_args written as one string are split the way a POSIX shell splits words (quotes and
// backslashes respected), but nothing is ever run by a shell: operators and expansions, which a
// shell would act on, are refused so the string cannot mean something else than it shows.

export interface Word {
  text: string;
  /** Offset of the word's first character in the string. */
  offset: number;
}

export interface WordsError {
  message: string;
  offset: number;
}

const OPERATORS = ['&&', '||', ';;', '>>', '<<', ';', '&', '|', '<', '>', '(', ')'];

function operatorAt(text: string, index: number): string | undefined {
  return OPERATORS.find((op) => text.startsWith(op, index));
}

/** Splits `text` into argv words, or says why it cannot be (with the offset of the culprit). */
export function splitShellWords(text: string): Word[] | WordsError {
  const words: Word[] = [];
  let current = '';
  let start = -1;
  const begin = (index: number): void => {
    if (start < 0) start = index;
  };
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!;
    if (/\s/.test(character)) {
      if (start >= 0) words.push({ text: current, offset: start });
      current = '';
      start = -1;
      continue;
    }
    const operator = operatorAt(text, index);
    if (operator !== undefined) {
      return {
        message: `'${operator}' is a shell operator: extra arguments go to the client as they are, no shell runs them; quote it if it is part of a value`,
        offset: index,
      };
    }
    if (character === '$' || character === '`') {
      return { message: `'${character}' would be a shell expansion: nodeform passes arguments as written, so write the value itself (or quote it in single quotes)`, offset: index };
    }
    if (character === '#' && start < 0) {
      return { message: "'#' would start a shell comment: quote it if it is part of a value", offset: index };
    }
    begin(index);
    if (character === '\\') {
      if (index + 1 >= text.length) return { message: 'a trailing backslash escapes nothing', offset: index };
      current += text[++index];
    } else if (character === "'") {
      const end = text.indexOf("'", index + 1);
      if (end < 0) return { message: "unterminated ' quote", offset: index };
      current += text.slice(index + 1, end);
      index = end;
    } else if (character === '"') {
      const opened = index;
      let closed = false;
      for (index++; index < text.length; index++) {
        const inner = text[index]!;
        if (inner === '"') {
          closed = true;
          break;
        }
        if (inner === '$' || inner === '`') {
          return { message: `'${inner}' inside double quotes would be a shell expansion: write the value itself, or use single quotes`, offset: index };
        }
        // POSIX: inside double quotes a backslash escapes only these.
        if (inner === '\\' && index + 1 < text.length && '"\\$`\n'.includes(text[index + 1]!)) current += text[++index];
        else current += inner;
      }
      if (!closed) return { message: 'unterminated " quote', offset: opened };
    } else {
      current += character;
    }
  }
  if (start >= 0) words.push({ text: current, offset: start });
  return words;
}
