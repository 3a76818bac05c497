import type { IBuffer, IBufferCell, IModes, Terminal } from '@xterm/headless';

// Our own small serializer (@xterm/addon-serialize is not a dependency): text with colours and styles, line wrapping,
// the alternate screen, the cursor and the input modes a program may have switched on. Not reproduced: the scroll
// region, the pen's current colours, tab stops, character sets and the window title.

const ESC = '\x1b';

function colorParams(mode: 'fg' | 'bg', cell: IBufferCell): string[] {
  const isFg = mode === 'fg';
  if (isFg ? cell.isFgDefault() : cell.isBgDefault()) return [];
  const color = isFg ? cell.getFgColor() : cell.getBgColor();
  if (isFg ? cell.isFgRGB() : cell.isBgRGB()) {
    return [
      isFg ? '38' : '48',
      '2',
      String((color >> 16) & 0xff),
      String((color >> 8) & 0xff),
      String(color & 0xff),
    ];
  }
  if (color < 8) return [String((isFg ? 30 : 40) + color)];
  if (color < 16) return [String((isFg ? 90 : 100) + color - 8)];
  return [isFg ? '38' : '48', '5', String(color)];
}

/** The SGR parameters that set a cell's attributes from the default; '' for a plain cell. */
function sgrOf(cell: IBufferCell): string {
  if (cell.isAttributeDefault()) return '';
  const params: string[] = [];
  if (cell.isBold()) params.push('1');
  if (cell.isDim()) params.push('2');
  if (cell.isItalic()) params.push('3');
  if (cell.isUnderline()) params.push('4');
  if (cell.isBlink()) params.push('5');
  if (cell.isInverse()) params.push('7');
  if (cell.isInvisible()) params.push('8');
  if (cell.isStrikethrough()) params.push('9');
  if (cell.isOverline()) params.push('53');
  params.push(...colorParams('fg', cell), ...colorParams('bg', cell));
  return params.join(';');
}

const isBlank = (cell: IBufferCell): boolean =>
  (cell.getChars() === '' || cell.getChars() === ' ') && cell.isBgDefault() && !cell.isInverse();

/** Writes every line of a buffer; lines that wrapped are written without a line break so they re-wrap alike. */
function serializeLines(buffer: IBuffer, cols: number): string {
  const out: string[] = [];
  const cell = buffer.getNullCell();
  let sgr = '';
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y);
    if (!line) continue;
    const nextWraps = buffer.getLine(y + 1)?.isWrapped ?? false;
    let end = cols;
    // a line that continues on the next one keeps its full width, or the continuation would not wrap
    if (!nextWraps) while (end > 0 && isBlank(line.getCell(end - 1, cell)!)) end--;
    for (let x = 0; x < end; x++) {
      line.getCell(x, cell);
      if (cell.getWidth() === 0) continue; // the right half of a wide character
      const cellSgr = sgrOf(cell);
      if (cellSgr !== sgr) {
        out.push(cellSgr === '' ? `${ESC}[0m` : `${ESC}[0;${cellSgr}m`);
        sgr = cellSgr;
      }
      out.push(cell.getChars() || ' ');
    }
    if (y < buffer.length - 1 && !nextWraps) {
      // a line feed that scrolls fills the new line with the pen's background: reset it first
      if (sgr !== '') out.push(`${ESC}[0m`);
      sgr = '';
      out.push('\r\n');
    }
  }
  if (sgr !== '') out.push(`${ESC}[0m`);
  return out.join('');
}

const cursorTo = (buffer: IBuffer): string => `${ESC}[${buffer.cursorY + 1};${buffer.cursorX + 1}H`;

const mouseModes: Record<IModes['mouseTrackingMode'], string> = {
  none: '',
  x10: `${ESC}[?9h`,
  vt200: `${ESC}[?1000h`,
  drag: `${ESC}[?1002h`,
  any: `${ESC}[?1003h`,
};

function modeSequences(modes: IModes, cursorHidden: boolean): string {
  let out = '';
  if (modes.applicationCursorKeysMode) out += `${ESC}[?1h`;
  if (modes.applicationKeypadMode) out += `${ESC}=`;
  if (modes.bracketedPasteMode) out += `${ESC}[?2004h`;
  if (modes.insertMode) out += `${ESC}[4h`;
  if (modes.reverseWraparoundMode) out += `${ESC}[?45h`;
  if (modes.sendFocusMode) out += `${ESC}[?1004h`;
  if (!modes.wraparoundMode) out += `${ESC}[?7l`;
  out += mouseModes[modes.mouseTrackingMode];
  if (cursorHidden) out += `${ESC}[?25l`;
  return out;
}

/**
 * Text that, written to a fresh terminal of the same size, reproduces this one's scrollback, screen, cursor and
 * modes. The terminal must have been created with allowProposedApi (for its buffer).
 */
export function serializeScreen(terminal: Terminal, cursorHidden: boolean): string {
  const { normal, active } = terminal.buffer;
  let out = serializeLines(normal, terminal.cols) + cursorTo(normal);
  if (active.type === 'alternate') {
    // 1049 saves the normal screen's cursor, so a program leaving the alternate screen finds it where it was
    out += `${ESC}[?1049h${ESC}[H` + serializeLines(active, terminal.cols) + cursorTo(active);
  }
  return out + modeSequences(terminal.modes, cursorHidden);
}
