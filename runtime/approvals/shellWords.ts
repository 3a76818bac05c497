/**
 * A small shell lexer, enough to find the programs a command line runs and where it writes: words (quotes and
 * escapes resolved), control operators, redirections, and the bodies of $(...) and `...` (analysed on their own).
 * It never executes or expands anything; what it cannot parse it treats as plain text.
 */

export interface SimpleCommand {
  words: string[];
  /** Redirection targets with their operator ('>', '>>', '<', '&>', ...). */
  redirects: { op: string; target: string }[];
  /** The operator that joined this command to the next one ('|', '&&', ';', ...), if any. */
  next?: string;
}

export interface ParsedLine {
  commands: SimpleCommand[];
  /** Command substitutions and process substitutions, to be analysed as command lines of their own. */
  nested: string[];
}

const OPERATORS = ['&&', '||', '|&', ';;', '|', ';', '&', '\n', '(', ')'];
const REDIRECT = /^&?(>>|>\||>&|>|<<<|<<|<&|<>|<)/;

export function parseShell(line: string): ParsedLine {
  const commands: SimpleCommand[] = [];
  const nested: string[] = [];
  let current: SimpleCommand = { words: [], redirects: [] };
  let word = '';
  let inWord = false;
  let pendingRedirect: string | undefined;
  const src = line.replace(/\\\r?\n/g, '');

  const endWord = () => {
    if (!inWord) return;
    if (pendingRedirect !== undefined) {
      current.redirects.push({ op: pendingRedirect, target: word });
      pendingRedirect = undefined;
    } else current.words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (op?: string) => {
    endWord();
    if (current.words.length || current.redirects.length) {
      if (op) current.next = op;
      commands.push(current);
    }
    current = { words: [], redirects: [] };
  };

  for (let i = 0; i < src.length;) {
    const ch = src[i]!;
    // a comment starts only at the beginning of a word
    if (ch === '#' && !inWord) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (ch === '\\') {
      word += src[i + 1] ?? '';
      inWord = true;
      i += 2;
      continue;
    }
    if (ch === "'") {
      const end = src.indexOf("'", i + 1);
      const stop = end === -1 ? src.length : end;
      word += src.slice(i + 1, stop);
      inWord = true;
      i = stop + 1;
      continue;
    }
    if (ch === '"') {
      i++;
      inWord = true;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\\' && i + 1 < src.length) {
          word += src[i + 1];
          i += 2;
        } else if (src.startsWith('$(', i)) {
          const [body, after] = balanced(src, i + 2);
          nested.push(body);
          word += `$(${body})`;
          i = after;
        } else if (src[i] === '`') {
          const end = src.indexOf('`', i + 1);
          const stop = end === -1 ? src.length : end;
          nested.push(src.slice(i + 1, stop));
          i = stop + 1;
        } else word += src[i++];
      }
      i++;
      continue;
    }
    if (src.startsWith('$(', i) || ((ch === '<' || ch === '>') && src[i + 1] === '(')) {
      const [body, after] = balanced(src, i + 2);
      nested.push(body);
      word += `$(${body})`;
      inWord = true;
      i = after;
      continue;
    }
    if (ch === '`') {
      const end = src.indexOf('`', i + 1);
      const stop = end === -1 ? src.length : end;
      nested.push(src.slice(i + 1, stop));
      inWord = true;
      i = stop + 1;
      continue;
    }
    if (ch === '>' || ch === '<' || (ch === '&' && src[i + 1] === '>')) {
      // a descriptor number glued in front ('2>') belongs to the redirection; any other word ends here
      const fd = inWord && /^\d+$/.test(word) ? word : '';
      if (fd) {
        word = '';
        inWord = false;
      } else endWord();
      const match = REDIRECT.exec(src.slice(i))!;
      i += match[0].length;
      pendingRedirect = fd + match[0];
      // '>&2' and '2>&1' name a descriptor, not a file
      if (/&$/.test(match[0]) && /^[\d-]/.test(src.slice(i))) {
        while (i < src.length && /[\d-]/.test(src[i]!)) i++;
        pendingRedirect = undefined;
      }
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op) {
      endCommand(op);
      i += op.length;
      continue;
    }
    if (/\s/.test(ch)) {
      endWord();
      i++;
      continue;
    }
    word += ch;
    inWord = true;
    i++;
  }
  endCommand();
  return { commands, nested };
}

/** The text up to the parenthesis that closes one already open at `start - 1`, and the index after it. */
function balanced(src: string, start: number): [string, number] {
  let depth = 1;
  for (let i = start; i < src.length; i++) {
    const ch = src[i];
    if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return [src.slice(start, i), i + 1];
  }
  return [src.slice(start), src.length];
}
