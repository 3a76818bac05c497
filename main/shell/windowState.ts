import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

const RectSchema = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(200).max(20_000),
  height: z.number().int().min(200).max(20_000),
});
export type Rect = z.infer<typeof RectSchema>;

export const WindowStateSchema = z.object({ bounds: RectSchema, maximized: z.boolean() });
export type WindowState = z.infer<typeof WindowStateSchema>;

/** A saved state, or undefined when there is none or it is unreadable (the window then opens at its default). */
export function loadWindowState(file: string): WindowState | undefined {
  try {
    const parsed = WindowStateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Written atomically: a crash mid-write leaves the previous state, never half a file. */
export function saveWindowState(file: string, state: WindowState): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, JSON.stringify(WindowStateSchema.parse(state)), { mode: 0o600 });
  renameSync(temp, file);
}

/**
 * A saved window can only come back where a display still is: it keeps its place when most of its title bar is on
 * some display's work area, and is otherwise centred on the first one, shrunk to fit.
 */
export function fitToDisplays(state: WindowState, workAreas: Rect[]): WindowState {
  const [primary] = workAreas;
  if (!primary) return state;
  const titleBar = { ...state.bounds, height: 32 };
  const visible = workAreas.some((area) => overlap(titleBar, area) >= titleBar.width * titleBar.height * 0.5);
  if (visible) return state;
  const width = Math.min(state.bounds.width, primary.width);
  const height = Math.min(state.bounds.height, primary.height);
  return {
    maximized: state.maximized,
    bounds: {
      x: primary.x + Math.round((primary.width - width) / 2),
      y: primary.y + Math.round((primary.height - height) / 2),
      width,
      height,
    },
  };
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}
