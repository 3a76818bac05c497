import { z } from 'zod';
import { command, event } from './define.js';
import { PidSchema } from './process.js';

// The desktop app's own commands: windows, theme, shortcut, updates and secrets. The headless host has no handlers
// for them, so there they answer E_UNAVAILABLE.

export const ThemeSchema = z.enum(['system', 'light', 'dark']);

export const UpdateStateSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('idle') }),
  z.object({ state: z.literal('checking') }),
  z.object({ state: z.literal('none') }),
  z.object({ state: z.literal('available'), version: z.string() }),
  z.object({ state: z.literal('downloading'), version: z.string(), percent: z.number().min(0).max(100) }),
  z.object({ state: z.literal('ready'), version: z.string() }),
  z.object({ state: z.literal('error'), message: z.string() }),
]);

/** Names of secrets the app keeps (API keys of model providers: Gemini's; a local Ollama needs none). */
export const SecretNameSchema = z.enum(['gemini.apiKey']);

const empty = z.object({}).strict();

export const appCommands = {
  'app.detachWindow': command({
    description: "Open an agent's Agent VM in a window of its own (kept in sync through the bridge).",
    args: z.object({ pid: PidSchema }).strict(),
    result: empty,
  }),
  'app.setTheme': command({
    description: 'Follow the system, or force light or dark (native menus and dialogs follow too).',
    args: z.object({ theme: ThemeSchema }).strict(),
    result: empty,
  }),
  'app.setShortcut': command({
    description: 'The global shortcut that shows Mission Control, e.g. CommandOrControl+Shift+Space.',
    args: z.object({ accelerator: z.string().min(1).max(64) }).strict(),
    result: z.object({ accelerator: z.string() }),
  }),
  'app.getShortcut': command({
    description:
      'The global shortcut as chosen (saved across runs), and whether it is in force: another application may hold it.',
    args: empty,
    result: z.object({ accelerator: z.string(), registered: z.boolean() }),
  }),
  'app.checkUpdate': command({
    description: 'Look for an update now; downloading it needs app.downloadUpdate.',
    args: empty,
    result: UpdateStateSchema,
  }),
  'app.downloadUpdate': command({
    description: 'Download the update the last check found (the person agreed).',
    args: empty,
    result: empty,
  }),
  'app.installUpdate': command({
    description: 'Restart into the downloaded update (the person agreed).',
    args: empty,
    result: empty,
  }),
  'app.setSecret': command({
    description:
      'Store a secret (an API key) encrypted with the OS keychain; never readable back through the bridge.',
    args: z.object({ name: SecretNameSchema, value: z.string().min(1).max(4096) }).strict(),
    result: empty,
  }),
  'app.hasSecret': command({
    description: 'Whether a secret is stored.',
    args: z.object({ name: SecretNameSchema }).strict(),
    result: z.object({ stored: z.boolean() }),
  }),
  'app.deleteSecret': command({
    description: 'Forget a secret.',
    args: z.object({ name: SecretNameSchema }).strict(),
    result: empty,
  }),
};

export const appEvents = {
  'app.focusAgent': event({
    description: 'The desktop shell asks the UI to show an agent (a notification or the tray was clicked).',
    payload: z.object({ pid: PidSchema }),
  }),
  'app.smartBar': event({
    description: 'The desktop shell asks the UI to open the Smart Bar (menu or global shortcut).',
    payload: z.object({}),
  }),
  'app.update': event({
    description: 'The update check and download, as they progress.',
    payload: UpdateStateSchema,
    coalesceBy: '*',
  }),
};
