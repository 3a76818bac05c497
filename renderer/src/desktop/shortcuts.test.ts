import { describe, expect, it } from 'vitest';
import { matchShortcut, type KeyLike, type ShortcutEnv } from './shortcuts.js';

const key = (k: Partial<KeyLike>): KeyLike => ({
  key: '',
  code: '',
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...k,
});

describe('desktop shortcuts', () => {
  it('open the Smart Bar with Ctrl+K or Cmd+K, but leave plain Ctrl+K to a shell', () => {
    expect(matchShortcut(key({ key: 'k', ctrlKey: true }), false)).toBe('smartBar');
    expect(matchShortcut(key({ key: 'k', metaKey: true }), true)).toBe('smartBar');
    expect(matchShortcut(key({ key: 'k', ctrlKey: true }), true)).toBeUndefined();
    expect(matchShortcut(key({ key: 'K', ctrlKey: true, shiftKey: true }), true)).toBe('smartBar');
  });
  it('cycle and place windows', () => {
    expect(matchShortcut(key({ code: 'Backquote', key: '`', ctrlKey: true }), false)).toBe('cycleNext');
    expect(matchShortcut(key({ code: 'Backquote', key: '~', ctrlKey: true, shiftKey: true }), true)).toBe(
      'cyclePrev',
    );
    expect(matchShortcut(key({ key: 'ArrowLeft', ctrlKey: true, altKey: true }), false)).toBe('snapLeft');
    expect(matchShortcut(key({ code: 'KeyW', key: 'w', ctrlKey: true, altKey: true }), false)).toBe('close');
    expect(matchShortcut(key({ key: 'ArrowLeft', ctrlKey: true }), false)).toBeUndefined();
    expect(matchShortcut(key({ key: 'a' }), false)).toBeUndefined();
  });

  describe('Ctrl+Alt+letter, where AltGr is Ctrl+Alt (Windows)', () => {
    const windows: ShortcutEnv = { mac: false };
    const altGr = (k: Partial<KeyLike>, held = false): KeyLike =>
      key({ ctrlKey: true, altKey: true, getModifierState: (m) => held && m === 'AltGraph', ...k });

    it('take a press that types a character for that character, not a shortcut', () => {
      // Polish AltGr+N types "ń"; German AltGr+Q "@", AltGr+M "µ"
      expect(matchShortcut(altGr({ code: 'KeyN', key: 'ń' }), false, windows)).toBeUndefined();
      expect(matchShortcut(altGr({ code: 'KeyM', key: 'µ' }), false, windows)).toBeUndefined();
      expect(matchShortcut(altGr({ code: 'KeyW', key: '@' }), false, windows)).toBeUndefined();
      // AltGr held: typing, whatever the key reads
      expect(matchShortcut(altGr({ code: 'KeyN', key: 'n' }, true), false, windows)).toBeUndefined();
      expect(matchShortcut(altGr({ code: 'KeyN', key: 'n' }, true), true, windows)).toBeUndefined();
    });

    it('still match the letter itself, a named key, and the letter the current layout puts there', () => {
      expect(matchShortcut(altGr({ code: 'KeyN', key: 'n' }), false, windows)).toBe('deploy');
      expect(matchShortcut(altGr({ code: 'KeyN', key: 'N', shiftKey: true }), false, windows)).toBe('deploy');
      expect(matchShortcut(altGr({ code: 'KeyM', key: 'Unidentified' }), false, windows)).toBe(
        'missionControl',
      );
      // Russian: Ctrl+Alt+N reads "т", which is what that key types there
      const russian: ShortcutEnv = { mac: false, layoutKey: (code) => ({ KeyN: 'т', KeyW: 'ц' })[code] };
      expect(matchShortcut(altGr({ code: 'KeyN', key: 'т' }), false, russian)).toBe('deploy');
      expect(matchShortcut(altGr({ code: 'KeyW', key: 'Ц', shiftKey: true }), false, russian)).toBe('close');
      expect(matchShortcut(altGr({ code: 'KeyN', key: 'ń' }), false, russian)).toBeUndefined();
      // arrows type nothing: AltGr or not, they place windows
      expect(matchShortcut(altGr({ key: 'ArrowLeft', code: 'ArrowLeft' }), false, windows)).toBe('snapLeft');
    });

    it('on macOS, where Option composes characters and there is no AltGr, go by the key', () => {
      const mac: ShortcutEnv = { mac: true };
      expect(matchShortcut(altGr({ code: 'KeyW', key: '∑' }), false, mac)).toBe('close');
      expect(matchShortcut(altGr({ code: 'KeyN', key: 'Dead' }, true), false, mac)).toBe('deploy');
    });
  });
});
