import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { HabitatError, type PluginManifest } from '../../shared/protocol/index.js';
import { parseManifest } from './load.js';

const MAX_FILES = 256;
const MAX_BYTES = 16 * 1024 * 1024;
const MAX_DEPTH = 8;

export interface PluginSource {
  manifest: PluginManifest;
  /** Relative paths, folders first. */
  dirs: string[];
  files: { path: string; data: Buffer; executable: boolean }[];
}

/**
 * Reads a plugin folder to install (a path on the kernel host): plain files and folders only, bounded in count and
 * size, and a manifest that validates. Refuses symlinks and special files rather than copying what they lead to.
 */
export async function readPluginSource(source: string): Promise<PluginSource> {
  const top = await fsp.lstat(source).catch(() => undefined);
  if (!top?.isDirectory()) throw new HabitatError('E_NOT_FOUND', `${source} is not a folder`);
  const dirs: string[] = [];
  const files: PluginSource['files'] = [];
  let bytes = 0;
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw new HabitatError('E_LIMIT', `a plugin is at most ${MAX_DEPTH} folders deep`);
    for (const name of (await fsp.readdir(join(source, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const stat = await fsp.lstat(join(source, path));
      if (stat.isDirectory()) {
        dirs.push(path);
        await walk(path, depth + 1);
      } else if (stat.isFile()) {
        if (files.length >= MAX_FILES)
          throw new HabitatError('E_LIMIT', `a plugin holds at most ${MAX_FILES} files`);
        bytes += stat.size;
        if (bytes > MAX_BYTES) throw new HabitatError('E_LIMIT', `a plugin holds at most ${MAX_BYTES} bytes`);
        files.push({
          path,
          data: await fsp.readFile(join(source, path)),
          executable: (stat.mode & 0o111) !== 0,
        });
      } else {
        throw new HabitatError('E_INVALID', `a plugin holds only files and folders: ${path} is not one`);
      }
    }
  };
  await walk('', 0);
  const manifestFile = files.find((f) => f.path === 'manifest.json');
  if (!manifestFile) throw new HabitatError('E_INVALID', `${source} has no manifest.json`);
  const parsed = parseManifest(manifestFile.data.toString('utf8'), source);
  if (!parsed.ok) throw new HabitatError('E_INVALID', parsed.error.message, { issues: parsed.error.issues });
  if (!files.some((f) => f.path === parsed.manifest.handler)) {
    throw new HabitatError('E_INVALID', `the handler ${parsed.manifest.handler} is not in the plugin folder`);
  }
  return { manifest: parsed.manifest, dirs, files };
}
