import { beforeEach, describe, expect, it } from 'vitest';
import { initialState, useHabitat, windows } from '../store/store.js';
import { addCloseGuard } from './closeGuards.js';

const open = () => useHabitat.getState().wm.windows;
const idOf = (kind: string) => open().find((w) => w.kind === kind)!.id;

beforeEach(() => {
  useHabitat.setState({ ...initialState(), area: { w: 1200, h: 700 } });
  windows.openApp('files');
  windows.openApp('monitor');
});

describe('close guards', () => {
  it('keep a window open while its app asks, and let the app close it after', () => {
    const files = idOf('files');
    let later: (() => void) | undefined;
    const off = addCloseGuard(files, (close) => {
      later = close;
      return false;
    });
    windows.close(files);
    expect(open().map((w) => w.kind)).toEqual(['files', 'monitor']);
    expect(useHabitat.getState().wm.focusedId).toBe(files); // brought forward, to show its question
    later!(); // the person said discard (or saved)
    expect(open().map((w) => w.kind)).toEqual(['monitor']);
    off();
  });

  it('let a window close at once when they agree, and are gone once removed', () => {
    const files = idOf('files');
    const off = addCloseGuard(files, () => false);
    off();
    windows.close(files);
    expect(open().map((w) => w.kind)).toEqual(['monitor']);
    const monitor = idOf('monitor');
    const again = addCloseGuard(monitor, () => true);
    windows.close(monitor);
    expect(open()).toEqual([]);
    again();
  });

  it('keep only the asking window when all are closed', () => {
    const files = idOf('files');
    const off = addCloseGuard(files, () => false);
    windows.closeAll();
    expect(open().map((w) => w.id)).toEqual([files]);
    off();
    windows.closeAll();
    expect(open()).toEqual([]);
  });
});
