// The last frame of each graphical agent's thumbnail, kept small: a card scrolled back into view shows it at once
// while its viewer reconnects.

const KEEP = 64;
/** Pixels of the kept picture's longer side: about a card's width, at most. */
const SIDE = 360;
const frames = new Map<number, string>();

/** Keeps a scaled-down copy of the canvas's picture; returns it (as a data URL), or undefined if it cannot. */
export function rememberFrame(pid: number, canvas: HTMLCanvasElement): string | undefined {
  if (canvas.width === 0 || canvas.height === 0) return undefined;
  const scale = Math.min(1, SIDE / Math.max(canvas.width, canvas.height));
  const small = document.createElement('canvas');
  small.width = Math.max(1, Math.round(canvas.width * scale));
  small.height = Math.max(1, Math.round(canvas.height * scale));
  const context = small.getContext('2d');
  if (!context) return undefined;
  try {
    context.drawImage(canvas, 0, 0, small.width, small.height);
    const url = small.toDataURL('image/jpeg', 0.7);
    frames.delete(pid);
    frames.set(pid, url);
    // a Map iterates in insertion order: the first key is the one seen longest ago
    if (frames.size > KEEP) frames.delete(frames.keys().next().value!);
    return url;
  } catch {
    return undefined;
  }
}

export function lastFrame(pid: number): string | undefined {
  return frames.get(pid);
}
