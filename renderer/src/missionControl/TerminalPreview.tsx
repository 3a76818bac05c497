import { memo, useEffect, useMemo, useState } from 'react';
import type { Screen } from '../../../shared/protocol/index.js';
import { api } from '../store/api.js';
import { nextPreviewDelay, previewLines } from './preview.js';

/** Previews mounted and live right now: their reads are spaced out as there are more of them. */
let livePreviews = 0;
/** The last screen of each agent, so a card scrolled back into view shows it at once. */
const lastScreens = new Map<number, Screen>();
const KEEP_SCREENS = 300;
/** A card must stay in view this long before it reads: fast scrolling reads nothing. */
const SETTLE_MS = 150;

/**
 * A card's live terminal: the kernel's own screen (pty.screen, from its headless terminal) of the terminal the agent
 * uses now (a command it runs, else its shell: pty.screen by pid), read again at an
 * interval that grows while nothing changes and with the number of previews on screen. Previews do not attach to
 * the terminal: a flooding agent would otherwise stream all its output to the page just to move a thumbnail, and
 * acknowledging it would either slow the agent down or not mean "rendered". So the cost of Mission Control is
 * bounded by what is on screen, not by how much the agents print. Off screen (virtualised away), minimised or in
 * a hidden page, a preview reads nothing.
 */
export const TerminalPreview = memo(function TerminalPreview({
  pid,
  hasTerminal,
  active,
  rows,
}: {
  pid: number;
  /** Whether the agent has a terminal yet (its main one). */
  hasTerminal: boolean;
  active: boolean;
  rows: number;
}) {
  const [screen, setScreen] = useState<Screen | null>(() => lastScreens.get(pid) ?? null);

  useEffect(() => {
    if (!hasTerminal || !active) return;
    livePreviews++;
    let disposed = false;
    let delay = 0;
    let last = lastScreens.get(pid);
    let timer: ReturnType<typeof setTimeout>;
    const read = () => {
      api()
        .call('pty.screen', { pid })
        .then(
          (next) => {
            if (disposed) return;
            const changed = !last || !sameScreen(last, next);
            if (changed) {
              last = next;
              remember(pid, next);
              setScreen(next);
            }
            delay = nextPreviewDelay(delay, changed, livePreviews);
          },
          () => {
            delay = nextPreviewDelay(delay, false, livePreviews);
          },
        )
        .finally(() => {
          if (!disposed) timer = setTimeout(read, delay);
        });
    };
    timer = setTimeout(read, SETTLE_MS);
    return () => {
      disposed = true;
      livePreviews--;
      clearTimeout(timer);
    };
  }, [pid, hasTerminal, active]);

  const text = useMemo(() => (screen ? previewLines(screen, rows).join('\n') : ''), [screen, rows]);
  return (
    <pre className="preview-screen" aria-hidden="true" data-testid="terminal-preview">
      {text}
    </pre>
  );
});

/** Keeps the most recently read screens (a Map iterates in insertion order: the first key is the oldest). */
function remember(pid: number, screen: Screen): void {
  lastScreens.delete(pid);
  lastScreens.set(pid, screen);
  if (lastScreens.size > KEEP_SCREENS) lastScreens.delete(lastScreens.keys().next().value!);
}

function sameScreen(a: Screen, b: Screen): boolean {
  if (a.cursor.x !== b.cursor.x || a.cursor.y !== b.cursor.y || a.lines.length !== b.lines.length)
    return false;
  for (let i = 0; i < a.lines.length; i++) if (a.lines[i] !== b.lines[i]) return false;
  return true;
}
