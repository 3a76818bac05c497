import type { GlobalShortcut } from 'electron';

export const DEFAULT_SHORTCUT = 'CommandOrControl+Shift+Space';

const MODIFIERS = new Set([
  'Command',
  'Cmd',
  'Control',
  'Ctrl',
  'CommandOrControl',
  'CmdOrCtrl',
  'Alt',
  'Option',
  'AltGr',
  'Shift',
  'Super',
  'Meta',
]);
const KEY =
  /^([A-Z0-9]|F([1-9]|1[0-9]|2[0-4])|Space|Tab|Backspace|Delete|Insert|Return|Enter|Up|Down|Left|Right|Home|End|PageUp|PageDown|Escape|Esc|Plus|[`~!@#$%^&*()\-=[\]\\;',./])$/;

/** Whether an accelerator is one Electron accepts and one worth making global: at least one modifier, then a key. */
export function isValidAccelerator(accelerator: string): boolean {
  const parts = accelerator.split('+');
  const key = parts.pop();
  if (!key || parts.length === 0) return false;
  return parts.every((part) => MODIFIERS.has(part)) && new Set(parts).size === parts.length && KEY.test(key);
}

/**
 * Registers the global shortcut, replacing the previous one. Says why it could not: a malformed accelerator, or one
 * another application holds already.
 */
export function registerShortcut(
  shortcuts: Pick<GlobalShortcut, 'register' | 'unregister'>,
  previous: string | undefined,
  accelerator: string,
  action: () => void,
): { ok: true } | { ok: false; reason: string } {
  if (!isValidAccelerator(accelerator)) {
    return {
      ok: false,
      reason: `${accelerator} is not a shortcut: modifiers, then one key, e.g. ${DEFAULT_SHORTCUT}`,
    };
  }
  if (previous) shortcuts.unregister(previous);
  if (!shortcuts.register(accelerator, action)) {
    if (previous && previous !== accelerator) shortcuts.register(previous, action);
    return { ok: false, reason: `${accelerator} is taken by another application` };
  }
  return { ok: true };
}
