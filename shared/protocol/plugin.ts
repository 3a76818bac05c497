import { z } from 'zod';
import { command, event } from './define.js';
import { PidSchema } from './process.js';

export const PluginNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, underscore and dash');

export const PluginToolNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_]*$/, 'lowercase letters, digits and underscore, starting with a letter');

/** A file inside the plugin's folder: relative, no '..', no hidden tricks. */
const pluginFile = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/, 'a relative path inside the plugin')
  .refine((p) => !p.split('/').includes('..'), 'a relative path inside the plugin');

/** A tool's parameters as a JSON Schema object (what models are given); the kernel checks arguments against it. */
export const JsonSchemaObjectSchema = z
  .object({ type: z.literal('object') })
  .catchall(z.unknown())
  .refine((schema) => JSON.stringify(schema).length <= 32_768, 'at most 32 KiB of schema');

export const PluginToolSchema = z
  .object({
    name: PluginToolNameSchema,
    description: z.string().min(1).max(2000),
    parameters: JsonSchemaObjectSchema,
  })
  .strict();

/** ~/.config/plugins/<name>/manifest.json. */
export const PluginManifestSchema = z
  .object({
    name: PluginNameSchema,
    version: z
      .string()
      .max(64)
      .regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, 'a semantic version like 1.0.0'),
    description: z.string().min(1).max(2000),
    /**
     * The program that serves every tool, run inside the agent's sandbox: .py with python3, .sh with bash, any
     * other file directly (it must be executable). It reads {"tool","arguments"} as JSON on standard input (and
     * each top-level string, number or boolean argument as $HABITAT_ARG_<name>) and writes the result on standard
     * output (text, or JSON {"content","isError"}).
     */
    handler: pluginFile,
    tools: z.array(PluginToolSchema).min(1).max(32),
    /** A person approves each call before it runs (the agent runtime asks). */
    requiresApproval: z.boolean().default(false),
    /** Per call; the kernel caps it. */
    timeoutMs: z.number().int().min(100).max(300_000).default(30_000),
  })
  .strict();
export type PluginManifest = z.infer<typeof PluginManifestSchema>;

export const PluginInfoSchema = PluginManifestSchema.extend({
  /** Its folder, home-relative (.config/plugins/<name>). */
  path: z.string(),
});
export type PluginInfo = z.infer<typeof PluginInfoSchema>;

/** A plugin folder that could not be loaded: reported, never fatal. */
export const PluginErrorSchema = z.object({
  /** The folder's name under .config/plugins. */
  folder: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type PluginError = z.infer<typeof PluginErrorSchema>;

export const PluginListSchema = z.object({
  pid: PidSchema,
  plugins: z.array(PluginInfoSchema),
  errors: z.array(PluginErrorSchema),
});
export type PluginList = z.infer<typeof PluginListSchema>;

export const PluginRunResultSchema = z.object({
  content: z.string(),
  isError: z.boolean(),
  exitCode: z.number().int().nullable(),
  stderr: z.string(),
  timedOut: z.boolean(),
  truncated: z.boolean(),
  durationMs: z.number().nonnegative(),
});
export type PluginRunResult = z.infer<typeof PluginRunResultSchema>;

export const pluginCommands = {
  'plugin.list': command({
    description: "An agent's plugins from ~/.config/plugins, and the folders whose manifest is invalid.",
    args: z.object({ pid: PidSchema }).strict(),
    result: PluginListSchema,
  }),
  'plugin.install': command({
    description:
      "Copy a plugin folder (an absolute path on the kernel host) into the agent's ~/.config/plugins/<name>, " +
      'after validating its manifest. Symlinks and special files in it are refused.',
    args: z
      .object({
        pid: PidSchema,
        source: z
          .string()
          .min(1)
          .max(4096)
          .refine((p) => p.startsWith('/'), 'an absolute path on the host'),
        replace: z.boolean().default(false),
      })
      .strict(),
    result: PluginInfoSchema,
  }),
  'plugin.run': command({
    description:
      "Call a plugin tool: its handler runs inside the agent's own sandbox with the agent's privileges, a " +
      'timeout and an output cap, never in the kernel.',
    args: z
      .object({
        pid: PidSchema,
        plugin: PluginNameSchema,
        tool: PluginToolNameSchema,
        arguments: z.record(z.string(), z.unknown()).default({}),
      })
      .strict(),
    result: PluginRunResultSchema,
  }),
};

export const pluginEvents = {
  'plugin.changed': event({
    description: "An agent's plugins changed on disk and were loaded again.",
    payload: PluginListSchema,
    coalesceBy: 'pid',
  }),
};
