import { HabitatError } from '../../shared/protocol/index.js';
import type { Handlers } from '../bridge/index.js';
import type { SecretStore } from './secrets.js';
import type { UpdateController } from './updates.js';

/** What the desktop shell does for the app.* commands; each piece is Electron glue kept out of this module. */
export interface DesktopShell {
  detach(pid: number): void;
  setTheme(theme: 'system' | 'light' | 'dark'): void;
  setShortcut(accelerator: string): { ok: true } | { ok: false; reason: string };
  getShortcut(): { accelerator: string; registered: boolean };
  updates: UpdateController;
  secrets: Pick<SecretStore, 'set' | 'has' | 'delete'>;
}

/** The app.* commands of the desktop app (the headless host leaves them unhandled: E_UNAVAILABLE). */
export function appHandlers(shell: DesktopShell, isLive: (pid: number) => boolean): Handlers {
  return {
    'app.detachWindow': ({ pid }) => {
      if (!isLive(pid)) throw new HabitatError('E_NOT_FOUND', `no live agent ${pid}`);
      shell.detach(pid);
      return {};
    },
    'app.setTheme': ({ theme }) => {
      shell.setTheme(theme);
      return {};
    },
    'app.setShortcut': ({ accelerator }) => {
      const result = shell.setShortcut(accelerator);
      if (!result.ok) throw new HabitatError('E_INVALID', result.reason);
      return { accelerator };
    },
    'app.getShortcut': () => shell.getShortcut(),
    'app.checkUpdate': () => shell.updates.check(),
    'app.downloadUpdate': async () => {
      await consent(() => shell.updates.download());
      return {};
    },
    'app.installUpdate': async () => {
      await consent(async () => shell.updates.install());
      return {};
    },
    'app.setSecret': ({ name, value }) => {
      shell.secrets.set(name, value);
      return {};
    },
    'app.hasSecret': ({ name }) => ({ stored: shell.secrets.has(name) }),
    'app.deleteSecret': ({ name }) => {
      shell.secrets.delete(name);
      return {};
    },
  };
}

async function consent(act: () => Promise<void>): Promise<void> {
  try {
    await act();
  } catch (error) {
    if (error instanceof HabitatError) throw error;
    throw new HabitatError('E_CONFLICT', (error as Error).message);
  }
}
