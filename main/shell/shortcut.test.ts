import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAppSettings, saveAppSettings } from './appSettings.js';
import { DEFAULT_SHORTCUT, ShortcutSetting } from './shortcut.js';

const scratch = mkdtempSync(join(tmpdir(), 'habitat-shortcut-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Electron's globalShortcut, with shortcuts other applications hold. */
function globalShortcut(takenByOthers: string[] = []) {
  const held = new Set<string>();
  return {
    held,
    register: (accelerator: string) => {
      if (takenByOthers.includes(accelerator) || held.has(accelerator)) return false;
      held.add(accelerator);
      return true;
    },
    unregister: (accelerator: string) => void held.delete(accelerator),
  };
}

describe('the global shortcut across runs', () => {
  it('starts with the default, and comes back as the person set it at the next start', () => {
    const file = join(scratch, 'settings.json');
    const first = globalShortcut();
    const run1 = new ShortcutSetting(first, file, () => undefined);
    // no settings file yet: the default
    expect(run1.restore()).toEqual({ accelerator: DEFAULT_SHORTCUT, registered: true });
    expect(run1.set('Alt+Shift+H')).toEqual({ ok: true });
    expect([...first.held]).toEqual(['Alt+Shift+H']);
    expect(loadAppSettings(file)).toEqual({ shortcut: 'Alt+Shift+H' });

    // the next start
    const second = globalShortcut();
    const run2 = new ShortcutSetting(second, file, () => undefined);
    expect(run2.restore()).toEqual({ accelerator: 'Alt+Shift+H', registered: true });
    expect([...second.held]).toEqual(['Alt+Shift+H']);
  });

  it('saves nothing for a shortcut it cannot have, and keeps the one in force', () => {
    const file = join(scratch, 'refused.json');
    const shortcuts = globalShortcut(['Alt+F1']);
    const setting = new ShortcutSetting(shortcuts, file, () => undefined);
    setting.restore();
    expect(setting.set('Alt+F1')).toEqual({ ok: false, reason: 'Alt+F1 is taken by another application' });
    expect(setting.set('H')).toMatchObject({ ok: false });
    expect(setting.current()).toEqual({ accelerator: DEFAULT_SHORTCUT, registered: true });
    expect(loadAppSettings(file)).toEqual({});
  });

  it('keeps the choice when another application holds it at start, shown as not in force', () => {
    const file = join(scratch, 'held.json');
    saveAppSettings(file, { shortcut: 'Ctrl+Alt+Space' });
    const setting = new ShortcutSetting(globalShortcut(['Ctrl+Alt+Space']), file, () => undefined);
    expect(setting.restore()).toEqual({ accelerator: 'Ctrl+Alt+Space', registered: false });
    expect(loadAppSettings(file).shortcut).toBe('Ctrl+Alt+Space');
  });

  it('falls back to the default for a damaged or hand-broken file, and keeps settings it does not know', () => {
    const file = join(scratch, 'damaged.json');
    writeFileSync(file, '{"shortcut": "Ctrl+');
    expect(new ShortcutSetting(globalShortcut(), file, () => undefined).restore().accelerator).toBe(
      DEFAULT_SHORTCUT,
    );
    writeFileSync(file, JSON.stringify({ shortcut: 'not a shortcut', fromLater: { x: 1 } }));
    const setting = new ShortcutSetting(globalShortcut(), file, () => undefined);
    expect(setting.restore().accelerator).toBe(DEFAULT_SHORTCUT);
    setting.set('Alt+Shift+J');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ shortcut: 'Alt+Shift+J', fromLater: { x: 1 } });
  });

  it('leaves the shortcut as it was when the choice cannot be saved', () => {
    const shortcuts = globalShortcut();
    const setting = new ShortcutSetting(
      shortcuts,
      join(scratch, 'missing', 'folder', 'settings.json'),
      () => {},
    );
    setting.restore();
    expect(() => setting.set('Alt+Shift+K')).toThrow(
      expect.objectContaining({
        code: 'E_UNAVAILABLE',
        message: expect.stringMatching(/could not be saved/),
      }),
    );
    expect([...shortcuts.held]).toEqual([DEFAULT_SHORTCUT]);
    expect(setting.current()).toEqual({ accelerator: DEFAULT_SHORTCUT, registered: true });
  });
});
