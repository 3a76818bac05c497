import type { GlobalShortcut } from 'electron';
import { HabitatError } from '../../shared/protocol/index.js';
import { loadAppSettings, saveAppSettings } from './appSettings.js';

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

/** The global shortcut as the person chose it, and whether it is in force (another application may hold it). */
export interface ShortcutState {
  accelerator: string;
  registered: boolean;
}

/**
 * The global shortcut across runs: the one the person chose is saved in the app's settings file and registered again
 * at the next start; the default until they choose. One another application holds at start stays the choice (shown
 * as not in force) rather than being silently replaced.
 */
export class ShortcutSetting {
  /** What is registered now, if anything. */
  private active: string | undefined;
  private chosen = DEFAULT_SHORTCUT;

  constructor(
    private readonly shortcuts: Pick<GlobalShortcut, 'register' | 'unregister'>,
    /** settings.json in the app's data folder (appSettings.ts). */
    private readonly file: string,
    private readonly action: () => void,
  ) {}

  /** At start: registers the saved shortcut, or the default (a saved one that is not valid counts as none). */
  restore(): ShortcutState {
    const saved = loadAppSettings(this.file).shortcut;
    this.chosen = saved !== undefined && isValidAccelerator(saved) ? saved : DEFAULT_SHORTCUT;
    const result = registerShortcut(this.shortcuts, undefined, this.chosen, this.action);
    this.active = result.ok ? this.chosen : undefined;
    return this.current();
  }

  /** Registers a new shortcut and saves it; the old one stays when the new one cannot be had or saved. */
  set(accelerator: string): { ok: true } | { ok: false; reason: string } {
    const result = registerShortcut(this.shortcuts, this.active, accelerator, this.action);
    if (!result.ok) return result;
    try {
      saveAppSettings(this.file, { shortcut: accelerator });
    } catch (error) {
      if (this.active !== accelerator) {
        this.shortcuts.unregister(accelerator);
        if (this.active) this.shortcuts.register(this.active, this.action);
      }
      throw new HabitatError(
        'E_UNAVAILABLE',
        `${accelerator} could not be saved (${(error as Error).message}); the shortcut is unchanged`,
      );
    }
    this.active = accelerator;
    this.chosen = accelerator;
    return { ok: true };
  }

  current(): ShortcutState {
    return { accelerator: this.chosen, registered: this.active === this.chosen };
  }
}
