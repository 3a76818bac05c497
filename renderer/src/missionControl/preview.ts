import type { Screen } from '../../../shared/protocol/index.js';

/**
 * The part of a terminal screen a small card can show: the rows up to the cursor (below it a fresh shell has only
 * blank rows), the last `rows` of them, trailing spaces trimmed.
 */
export function previewLines(screen: Screen, rows: number): string[] {
  const lines = screen.lines.map((line) => line.replace(/\s+$/, ''));
  let end = Math.min(lines.length, Math.max(0, screen.cursor.y) + 1);
  // a cursor parked above the output (full-screen programs) still shows what is below it
  for (let i = lines.length - 1; i >= end; i--) {
    if (lines[i]) {
      end = i + 1;
      break;
    }
  }
  while (end > 0 && !lines[end - 1]) end--;
  return lines.slice(Math.max(0, end - rows), end);
}

const MAX_DELAY_MS = 4000;

/**
 * How long a preview waits before reading its screen again: soon after a change (it may go on changing), longer
 * and longer while nothing changes (an idle shell costs almost nothing), and spaced out as more previews are on
 * screen, so that the total reads per second stay flat.
 */
export function nextPreviewDelay(previous: number, changed: boolean, visible: number): number {
  const base = Math.min(2000, Math.max(400, visible * 40));
  if (changed) return base;
  return Math.round(Math.min(MAX_DELAY_MS, Math.max(base, previous * 1.6)));
}
