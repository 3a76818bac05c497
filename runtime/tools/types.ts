import type { Cooperation } from './cooperation.js';
import type { z } from 'zod';
import type { ExecResult } from '../../kernel/index.js';
import type { FsEncoding, FsEntry, FsListResult, FsReadResult } from '../../shared/protocol/index.js';
import type { ImagePart } from '../llm/types.js';
import type { AgentMemory } from '../memory/memory.js';

export type { ExecResult };

/** The part of the kernel's AgentFs the tools use (the kernel's class satisfies it; tests may fake it). */
export interface AgentFiles {
  read(
    path: string,
    options?: { encoding?: FsEncoding; offset?: number; length?: number },
  ): Promise<FsReadResult>;
  write(
    path: string,
    content: string | Uint8Array,
    options?: { encoding?: FsEncoding; createParents?: boolean },
  ): Promise<FsEntry>;
  list(path?: string, options?: { limit?: number }): Promise<FsListResult>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<FsEntry>;
  stat(path: string): Promise<FsEntry>;
}

export interface HostExecOptions {
  timeoutMs: number;
  /** Bytes kept of stdout and of stderr each. */
  maxOutputBytes: number;
  input?: string;
  /** Ends the wait (KILL); the kernel ends the processes themselves. */
  signal?: AbortSignal;
}

/** What tools may do to the agent's world: its home and its sandbox. Adapted from the Kernel, or faked in tests. */
export interface AgentHost {
  readonly pid: number;
  /** Absolute paths that mean the home from the agent's side ('/home/agent'); file tools accept them. */
  readonly homeAliases: readonly string[];
  readonly files: AgentFiles;
  exec(argv: string[], options: HostExecOptions): Promise<ExecResult>;
  /** Other agents, mailboxes and shared workspaces; absent where the agent runs alone (tests, fakes). */
  readonly cooperation?: Cooperation;
  /** A graphical agent's screen (absent for the others): the computer-use tools need it. */
  readonly display?: AgentDisplay;
}

/** A graphical agent's screen as its tools see it; input goes through xdotool in the sandbox (DISPLAY is set). */
export interface AgentDisplay {
  readonly width: number;
  readonly height: number;
  screenshot(): Promise<{ width: number; height: number; png: Uint8Array }>;
}

export interface ToolContext {
  readonly host: AgentHost;
  /** Aborted on KILL or when a budget runs out. */
  readonly signal: AbortSignal;
  readonly memory: AgentMemory | undefined;
  readonly step: number;
  /** Ends the run once this step is done (the complete tool). */
  complete(summary: string, success: boolean): void;
  /** Tells the loop the memory changed, so the next system prompt shows it. */
  memoryChanged(notes: string): void;
}

/** What a tool hands back: text for the model, structured data for events and UIs, images for vision models. */
export interface ToolOutput {
  content: string;
  data?: unknown;
  images?: ImagePart[];
  /** The tool ran but the action failed (a non-zero exit is not this: the model reads the exit code). */
  isError?: boolean;
}

export interface Tool<S extends z.ZodType = z.ZodType> {
  /** What the model calls it: lower_snake_case. */
  name: string;
  /** For the model: what it does, when to use it. */
  description: string;
  parameters: S;
  /** Every call needs a person's look under the 'dangerous' approval policy. */
  dangerous?: boolean;
  /** The reasons this call in particular needs a look (none: it looks safe); see approvals/dangerous.ts. */
  assess?(args: z.output<S>, host: AgentHost): string[];
  /**
   * Changes nothing outside the agent's own state (reads, think, memory, complete): never waits for approval, even
   * under the 'always' policy.
   */
  harmless?: boolean;
  handler(args: z.output<S>, ctx: ToolContext): Promise<ToolOutput | string> | ToolOutput | string;
}

/** Keeps a tool's handler typed by its schema. */
export function defineTool<S extends z.ZodType>(tool: Tool<S>): Tool<S> {
  return tool;
}
