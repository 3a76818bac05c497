import { describeIssues } from '../../shared/protocol/index.js';
import { toolJsonSchema } from '../llm/schema.js';
import type { ToolCall, ToolDeclaration } from '../llm/types.js';
import type { AgentHost, Tool } from './types.js';

export type PreparedCall = { ok: true; tool: Tool; args: unknown } | { ok: false; error: string };

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * The tools an agent may call. Tool groups (files, commands, messages, workspaces, computer use, plugins) register
 * here; the loop asks it for the declarations the model sees and to validate each call the model makes.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();
  private declarationCache: ToolDeclaration[] | undefined;

  constructor(tools: readonly Tool[] = []) {
    this.register(...tools);
  }

  register(...tools: Tool[]): this {
    for (const tool of tools) {
      if (!NAME.test(tool.name))
        throw new Error(`tool name ${JSON.stringify(tool.name)} must be lower_snake_case`);
      if (this.tools.has(tool.name)) throw new Error(`a tool named ${tool.name} is already registered`);
      this.tools.set(tool.name, tool);
    }
    this.declarationCache = undefined;
    return this;
  }

  unregister(name: string): boolean {
    this.declarationCache = undefined;
    return this.tools.delete(name);
  }

  get(name: string): Tool | undefined {
    return this.tools.get(name);
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  /** For the model: names, descriptions and JSON schemas, computed once. */
  declarations(): ToolDeclaration[] {
    this.declarationCache ??= [...this.tools.values()].map((tool) => ({
      name: tool.name,
      description: tool.description,
      parameters: tool.jsonSchema ?? toolJsonSchema(tool.parameters),
    }));
    return this.declarationCache;
  }

  /** Checks a call the model made: a known tool, and arguments its schema accepts. The error is for the model. */
  prepare(call: ToolCall): PreparedCall {
    const tool = this.tools.get(call.name);
    if (!tool) {
      return {
        ok: false,
        error: `there is no tool named ${JSON.stringify(call.name.slice(0, 80))}; the tools are: ${this.names().join(', ')}`,
      };
    }
    const parsed = tool.parameters.safeParse(call.args ?? {});
    if (!parsed.success) {
      const issues = describeIssues(parsed.error)
        .map((i) => `${i.path}: ${i.message}`)
        .join('; ');
      return { ok: false, error: `invalid arguments for ${tool.name}: ${issues}` };
    }
    return { ok: true, tool, args: parsed.data };
  }

  /** Why this call deserves a person's look (empty: nothing found). */
  dangerReasons(tool: Tool, args: unknown, host: AgentHost): string[] {
    const reasons = tool.assess?.(args, host) ?? [];
    return tool.dangerous ? [`${tool.name} always needs a look`, ...reasons] : reasons;
  }
}
