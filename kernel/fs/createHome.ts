import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import { errnoOf, fsError, mapFsError } from './errors.js';

/** The folders every new home starts with. */
export const HOME_SKELETON = [
  '.config',
  '.config/plugins',
  'Desktop',
  'Documents',
  'Downloads',
  'notes',
] as const;

function readme(pid: number): string {
  return [
    `# Home of agent ${pid}`,
    '',
    'This folder is yours: paths you use are relative to it, and nothing outside it can be reached from here.',
    '',
    '- Desktop/, Documents/, Downloads/: your files',
    '- notes/: what you want to remember between steps',
    '- .config/plugins/: plugins you install',
    '',
  ].join('\n');
}

/**
 * Creates `<homesDir>/<pid>` (mode 0700) from the skeleton and returns its absolute path. Refuses (E_CONFLICT) if
 * it exists: PIDs are never reused, so an existing home belongs to someone else. A failure part-way removes the
 * new home again.
 */
export async function createHome(homesDir: string, pid: number): Promise<string> {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw fsError('E_INVALID', 'a PID is a positive integer');
  const home = join(resolve(homesDir), String(pid));
  try {
    await fsp.mkdir(resolve(homesDir), { recursive: true, mode: 0o700 });
    await fsp.mkdir(home, 0o700);
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') throw fsError('E_CONFLICT', `a home for agent ${pid} already exists`);
    throw mapFsError(error, []);
  }
  try {
    await fsp.chmod(home, 0o700); // mkdir's mode is narrowed by the umask, never widened: make it exact
    for (const dir of HOME_SKELETON) await fsp.mkdir(join(home, dir), 0o755);
    await fsp.writeFile(join(home, 'README.md'), readme(pid), { flag: 'wx', mode: 0o644 });
  } catch (error) {
    await fsp.rm(home, { recursive: true, force: true });
    throw mapFsError(error, []);
  }
  return home;
}
