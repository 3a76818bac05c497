/** Escape sequences a terminal program writes: CSI (colours, cursor), OSC (titles), and the two-byte ones. */
const ESCAPES =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[@-Z\\-_]|\x1b[()][0-9A-Za-z]/g;
// eslint-disable-next-line no-control-regex
const OTHER_CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/g;

/**
 * Terminal output as a person reads it in a transcript: escape sequences gone, CR LF as LF, and a line that a
 * progress bar rewrote with CR shows only its last state; backspaces erase.
 */
export function terminalText(raw: string): string {
  const plain = raw.replace(ESCAPES, '').replace(/\r+\n/g, '\n');
  return plain
    .split('\n')
    .map((line) => {
      const last = line.endsWith('\r') ? line.slice(0, -1) : line;
      const shown = last.slice(last.lastIndexOf('\r') + 1);
      return eraseBackspaces(shown).replace(OTHER_CONTROLS, '');
    })
    .join('\n');
}

function eraseBackspaces(line: string): string {
  if (!line.includes('\b')) return line;
  const out: string[] = [];
  for (const char of line) {
    if (char === '\b') out.pop();
    else out.push(char);
  }
  return out.join('');
}
