import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The desktop app's own settings, in settings.json in its data folder beside window-state.json: what belongs to this
 * machine's app rather than to the kernel (the headless host has no global shortcut). Settings of later versions are
 * kept as they are.
 */
const AppSettingsSchema = z.looseObject({
  /** The global shortcut that shows Mission Control, as the person chose it. */
  shortcut: z.string().min(1).max(64).optional(),
});
export type AppSettings = z.infer<typeof AppSettingsSchema>;

/** The saved settings; none when the file is missing or unreadable (each setting then has its default). */
export function loadAppSettings(file: string): AppSettings {
  try {
    const parsed = AppSettingsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** Changes some settings, keeping the others; written atomically (a crash mid-write leaves the previous file). */
export function saveAppSettings(file: string, change: Partial<AppSettings>): void {
  const next = AppSettingsSchema.parse({ ...loadAppSettings(file), ...change });
  const temp = `${file}.tmp`;
  writeFileSync(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}
