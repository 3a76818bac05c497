import { runCommand, sendInput } from './command.js';
import { computerUseTools } from './computer.js';
import { askHuman, complete, memory, think } from './control.js';
import { fileTools } from './files.js';
import { ToolRegistry } from './registry.js';
import type { AgentHost } from './types.js';
import { browseWeb } from './web.js';

export { ToolRegistry, type PreparedCall } from './registry.js';
export {
  defineTool,
  type AgentDisplay,
  type AgentFiles,
  type AgentHost,
  type ExecResult,
  type HumanAnswer,
  type TerminalProgram,
  type WebAccess,
  type WebPage,
  type HostExecOptions,
  type Tool,
  type ToolContext,
  type ToolOutput,
} from './types.js';
export { editFile, listFiles, makeDirectory, readFile, writeFile, READ_MAX_CHARS } from './files.js';
export {
  runCommand,
  sendInput,
  describeRun,
  COMMAND_DEFAULT_TIMEOUT_S,
  COMMAND_OUTPUT_CAP,
} from './command.js';
export { askHuman, complete, memory, think } from './control.js';
export { closeCommandSessions, commandSessions, QUIET_BEFORE_PROBE_MS } from './sessions.js';
export { terminalText } from './terminalText.js';
export { pluginTools, pluginToolName, PLUGIN_TOOL_PREFIX, type PluginToolRunner } from './plugins.js';
export { browseWeb, describePage } from './web.js';
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

/** The core tools every agent gets; the web, computer use and plugins register on top. */
export function coreTools(): ToolRegistry {
  return new ToolRegistry([
    ...fileTools,
    runCommand,
    sendInput,
    think,
    memory,
    askHuman,
    complete,
    ...cooperationTools,
  ]);
}

/**
 * The tools of one agent: the core ones; browse_web where the host can browse (it refuses agents without network,
 * saying why); computer use where the agent has a screen (a graphical agent).
 */
export function agentTools(host: Pick<AgentHost, 'display' | 'web'>): ToolRegistry {
  const tools = coreTools();
  if (host.web) tools.register(browseWeb);
  if (host.display) tools.register(...computerUseTools);
  return tools;
}
