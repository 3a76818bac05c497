import { describe, expect, it } from 'vitest';
import { matchShortcut, type KeyLike } from './shortcuts.js';

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
});
