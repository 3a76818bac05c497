import {
  describeIssues,
  isHabitatError,
  PluginManifestSchema,
  pluginParametersSchema,
  type PluginError,
  type PluginInfo,
  type PluginManifest,
} from '../../shared/protocol/index.js';
import type { AgentFs } from '../fs/index.js';

export const PLUGINS_DIR = '.config/plugins';
const MAX_MANIFEST_BYTES = 64 * 1024;

export type Loaded = { ok: true; plugin: PluginInfo } | { ok: false; error: PluginError };

/** Validates a manifest's text: JSON, the schema, and every tool's parameters as a usable JSON Schema. */
export function parseManifest(
  text: string,
  folder: string,
): { ok: true; manifest: PluginManifest } | { ok: false; error: PluginError } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      error: { folder, message: `manifest.json is not JSON: ${(error as Error).message}` },
    };
  }
  const parsed = PluginManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    // the first issue in the message too: it is all that some readers show (an agent's warnings, plugin.run)
    const first = issues[0] ? ` (${issues[0].path}: ${issues[0].message})` : '';
    return { ok: false, error: { folder, message: `manifest.json is invalid${first}`, issues } };
  }
  for (const tool of parsed.data.tools) {
    try {
      // the schema already kept parameters to the subset whose checking is linear (pattern, $ref and the like
      // are refused above); this catches what zod cannot read
      pluginParametersSchema(tool.parameters);
    } catch (error) {
      return {
        ok: false,
        error: {
          folder,
          message: `the parameters of tool ${tool.name} are not a usable JSON Schema: ${String(error)}`,
        },
      };
    }
  }
  return { ok: true, manifest: parsed.data };
}

/**
 * Loads ~/.config/plugins/<folder>/manifest.json through the agent's safe file view (no path leaves the home, no
 * symlink is followed out). Whatever is wrong becomes a PluginError value: a bad plugin never breaks the others.
 */
export async function loadPlugin(files: AgentFs, folder: string): Promise<Loaded> {
  const dir = `${PLUGINS_DIR}/${folder}`;
  try {
    const stat = await files.stat(`${dir}/manifest.json`);
    if (stat.type !== 'file') return { ok: false, error: { folder, message: 'manifest.json is not a file' } };
    if (stat.size > MAX_MANIFEST_BYTES) {
      return { ok: false, error: { folder, message: `manifest.json is over ${MAX_MANIFEST_BYTES} bytes` } };
    }
    const { content } = await files.read(`${dir}/manifest.json`);
    const parsed = parseManifest(content, folder);
    if (!parsed.ok) return parsed;
    const { manifest } = parsed;
    if (manifest.name !== folder) {
      return {
        ok: false,
        error: { folder, message: `the manifest names ${manifest.name}, its folder is ${folder}` },
      };
    }
    const handler = await files.stat(`${dir}/${manifest.handler}`).catch(() => undefined);
    if (handler?.type !== 'file') {
      return {
        ok: false,
        error: { folder, message: `the handler ${manifest.handler} is not a file in the plugin` },
      };
    }
    return { ok: true, plugin: { ...manifest, path: dir } };
  } catch (error) {
    const message = isHabitatError(error) ? error.message : String(error);
    return { ok: false, error: { folder, message: `cannot read the plugin: ${message}` } };
  }
}

/** Every plugin folder of a home, loaded; a home without the folder has none. */
export async function loadPlugins(files: AgentFs): Promise<{ plugins: PluginInfo[]; errors: PluginError[] }> {
  const plugins: PluginInfo[] = [];
  const errors: PluginError[] = [];
  let entries;
  try {
    entries = (await files.list(PLUGINS_DIR)).entries;
  } catch {
    return { plugins, errors };
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue; // installs in progress
    if (entry.type !== 'dir') {
      errors.push({ folder: entry.name, message: 'not a folder' });
      continue;
    }
    const loaded = await loadPlugin(files, entry.name);
    if (loaded.ok) plugins.push(loaded.plugin);
    else errors.push(loaded.error);
  }
  return { plugins, errors };
}
