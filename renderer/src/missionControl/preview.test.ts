import { describe, expect, it } from 'vitest';
import { nextPreviewDelay, previewLines } from './preview.js';

const screen = (lines: string[], y: number) => ({ cols: 80, rows: lines.length, cursor: { x: 0, y }, lines });

describe('terminal previews', () => {
  it('show the rows up to the cursor, the last few of them, trimmed', () => {
    expect(previewLines(screen(['$ ls   ', 'a  b', '$ ', '', ''], 2), 10)).toEqual(['$ ls', 'a  b', '$']);
    expect(previewLines(screen(['1', '2', '3', '4', '$'], 4), 2)).toEqual(['4', '$']);
  });

  it('still show output below a cursor parked near the top (full-screen programs)', () => {
    expect(previewLines(screen(['top', '', 'status line', ''], 0), 10)).toEqual(['top', '', 'status line']);
  });

  it('read again soon after a change, back off while nothing changes, and space out when many are visible', () => {
    expect(nextPreviewDelay(0, true, 1)).toBe(400);
    let delay = 400;
    const idle: number[] = [];
    for (let i = 0; i < 6; i++) idle.push((delay = nextPreviewDelay(delay, false, 1)));
    expect(idle).toEqual([640, 1024, 1638, 2621, 4000, 4000]);
    expect(nextPreviewDelay(4000, true, 1)).toBe(400);
    expect(nextPreviewDelay(0, true, 30)).toBe(1200);
    expect(nextPreviewDelay(0, true, 500)).toBe(2000);
  });
});
