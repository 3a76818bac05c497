import { runCommand } from './command.js';
import { computerUseTools } from './computer.js';
import { complete, memory, think } from './control.js';
import { fileTools } from './files.js';
import { ToolRegistry } from './registry.js';
import type { AgentHost } from './types.js';

export { ToolRegistry, type PreparedCall } from './registry.js';
export {
  defineTool,
  type AgentDisplay,
  type AgentFiles,
  type AgentHost,
  type ExecResult,
  type HostExecOptions,
  type Tool,
  type ToolContext,
  type ToolOutput,
} from './types.js';
export { editFile, listFiles, makeDirectory, readFile, writeFile, READ_MAX_CHARS } from './files.js';
export { runCommand, describeRun, COMMAND_DEFAULT_TIMEOUT_S, COMMAND_OUTPUT_CAP } from './command.js';
export { complete, memory, think } from './control.js';
export { kernelCooperation, kernelHost, untilAborted, SANDBOX_HOME } from './host.js';
export { cooperationTools, type Cooperation } from './cooperation.js';
import { cooperationTools } from './cooperation.js';
export {
  computerUseTools,
  mouseClick,
  mouseMove,
  pressKeys,
  screenshot,
  scroll,
  typeText,
} from './computer.js';
export { homeRelative, shellQuote, clip } from './paths.js';

/** The core tools every agent gets; messaging, workspaces, web and computer use register on top. */
export function coreTools(): ToolRegistry {
  return new ToolRegistry([...fileTools, runCommand, think, memory, complete, ...cooperationTools]);
}

/** The tools of one agent: the core ones, and computer use where the agent has a screen (a graphical agent). */
export function agentTools(host: Pick<AgentHost, 'display'>): ToolRegistry {
  const tools = coreTools();
  if (host.display) tools.register(...computerUseTools);
  return tools;
}
