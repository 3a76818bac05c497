import { describe, expect, it } from 'vitest';
import { lastingSequences } from './lastingState.js';

const E = '\x1b';

describe('lastingSequences', () => {
  it('keeps the pen since its last reset, and each mode’s last setting in the order they came', () => {
    const dropped =
      `${E}[1mbold${E}[0m plain ${E}[32mgreen${E}[4m` + // the pen: reset, then green, underlined
      `${E}[?25l${E}[?2004h${E}[?1049h text ${E}[?25h${E}[4h` + // cursor hidden then shown again, insert mode
      `${E}[?2004l`; // bracketed paste switched off last
    expect(lastingSequences([dropped])).toBe(
      `${E}[?1049h${E}[?25h${E}[4h${E}[?2004l` + `${E}[0m${E}[32m${E}[4m`,
    );
  });

  it('carries on from what an earlier drop left, and leaves plain text alone', () => {
    const first = lastingSequences([`${E}[31mred${E}[?1000h`]);
    expect(first).toBe(`${E}[?1000h${E}[31m`);
    expect(lastingSequences(['only text\r\n'], first)).toBe(first);
    expect(lastingSequences([`${E}[m${E}[1;33mx${E}[?1000l`], first)).toBe(`${E}[?1000l${E}[0m${E}[1;33m`);
    expect(lastingSequences(['no sequences at all'])).toBe('');
  });

  it('counts a sequence that resets and sets at once, and bounds a long run of SGRs', () => {
    expect(lastingSequences([`${E}[1m${E}[0;35mx`])).toBe(`${E}[0m${E}[0;35m`);
    const many = Array.from({ length: 100 }, (_, i) => `${E}[38;5;${i}m`).join('');
    const kept = lastingSequences([many]);
    expect(kept.endsWith(`${E}[38;5;99m`)).toBe(true);
    expect(kept.split(E).length - 1).toBe(32);
  });

  it('finds a sequence cut in two between pieces of output', () => {
    const pieces = ['plain', `text ${E}[3`, `3m more ${E}[?20`, '04h', 'and plain text'];
    expect(lastingSequences(pieces)).toBe(`${E}[?2004h${E}[33m`);
    expect(lastingSequences(['a'.repeat(100), `${E}[1mb${E}[`, '?1h'])).toBe(`${E}[?1h${E}[1m`);
  });
});
