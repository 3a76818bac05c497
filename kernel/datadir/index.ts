import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface DataDirLayout {
  root: string;
  db: string;
  homes: string;
  shared: string;
  snapshots: string;
  run: string;
  logs: string;
}

/** The headless host's and CLI's data folder: an explicit one, else $HABITAT_HOME, else ~/.habitat. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.HABITAT_HOME || join(homedir(), '.habitat'));
}

export function dataDirLayout(root: string): DataDirLayout {
  const abs = resolve(root);
  return {
    root: abs,
    db: join(abs, 'habitat.db'),
    homes: join(abs, 'homes'),
    shared: join(abs, 'shared'),
    snapshots: join(abs, 'snapshots'),
    run: join(abs, 'run'),
    logs: join(abs, 'logs'),
  };
}

/** Creates the folders, private to the user: agent homes and the host's token live here. */
export function ensureDataDir(root: string): DataDirLayout {
  const layout = dataDirLayout(root);
  for (const dir of [layout.root, layout.homes, layout.shared, layout.snapshots, layout.run, layout.logs]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  return layout;
}
