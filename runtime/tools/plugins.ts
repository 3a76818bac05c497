import { createHash } from 'node:crypto';
import type { z } from 'zod';
import {
  pluginParametersSchema,
  type PluginInfo,
  type PluginRunResult,
} from '../../shared/protocol/index.js';
import { clip } from './paths.js';
import type { Tool } from './types.js';

/** Calls a plugin's tool inside the agent's sandbox (the kernel's Plugins.run for this agent). */
export type PluginToolRunner = (
  plugin: string,
  tool: string,
  args: Record<string, unknown>,
) => Promise<PluginRunResult>;

export const PLUGIN_TOOL_PREFIX = 'plugin__';
/** What tool names may be: the registry's rule, and the most that Gemini takes. */
const MAX_NAME = 64;

/**
 * The model's name for a plugin's tool: plugin__<plugin>__<tool>, dashes as underscores (word-count's count is
 * plugin__word_count__count). Too long a name keeps its start and gets a short hash, so it stays unique.
 */
export function pluginToolName(plugin: string, tool: string): string {
  const name = `${PLUGIN_TOOL_PREFIX}${plugin.replace(/-/g, '_')}__${tool}`;
  if (name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(`${plugin}/${tool}`).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - hash.length - 1)}_${hash}`;
}

/**
 * The tools of an agent's plugins, for its ToolRegistry: each with its manifest's JSON Schema given to the model
 * as is and checked by zod's reading of it, run in the agent's sandbox. requiresApproval makes a tool dangerous:
 * under the 'dangerous' and 'always' policies a person approves every call ('never' asks nobody, as for any tool).
 */
export function pluginTools(plugins: readonly PluginInfo[], run: PluginToolRunner): Tool[] {
  return plugins.flatMap((plugin) =>
    plugin.tools.flatMap((spec): Tool[] => {
      const schema = spec.parameters as Record<string, unknown>;
      let parameters: z.ZodType;
      try {
        // the subset check again (the kernel's list passed it): a schema outside it is not checked on this loop
        parameters = pluginParametersSchema(schema);
      } catch {
        return []; // the kernel lists such a plugin as broken already (plugin.list errors)
      }
      return [
        {
          name: pluginToolName(plugin.name, spec.name),
          description: `${spec.description} (plugin ${plugin.name} ${plugin.version})`,
          parameters,
          jsonSchema: schema,
          ...(plugin.requiresApproval ? { dangerous: true } : {}),
          async handler(args) {
            const result = await run(plugin.name, spec.name, (args ?? {}) as Record<string, unknown>);
            const stderr = result.stderr.trim();
            const why =
              result.isError && stderr && stderr !== result.content
                ? `\n[stderr]\n${clip(stderr, 2000)}`
                : '';
            return {
              content: (result.content || '(no output)') + why,
              isError: result.isError,
              data: {
                plugin: plugin.name,
                tool: spec.name,
                exitCode: result.exitCode,
                timedOut: result.timedOut,
                truncated: result.truncated,
                durationMs: result.durationMs,
              },
            };
          },
        },
      ];
    }),
  );
}
