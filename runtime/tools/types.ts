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
  /** Whether the agent was spawned with network access (its record says so; absent: it was not). */
  readonly network?: boolean;
  /**
   * Starts a program on a terminal of its own in the sandbox, so it can be answered while it runs (run_command,
   * send_input); absent where there are no terminals (fakes): commands then run to their end with exec.
   */
  startProgram?(argv: string[]): TerminalProgram;
  /** Fetches web pages for browse_web, from the kernel's host (see runtime/web); absent: no browsing here. */
  readonly web?: WebAccess;
  /**
   * Milliseconds the agent has run, less the time it was stopped: what a command's timeout counts, so that a STOP
   * does not use it up (absent: wall-clock time).
   */
  runningMs?(): number;
}

/** A program on its own terminal in the agent's sandbox. */
export interface TerminalProgram {
  /** The kernel's terminal id: people can watch it (pty.attach) while it runs. */
  readonly id: number;
  /** Output as it comes, raw terminal text (escape sequences, CR LF). */
  onOutput(listener: (text: string) => void): void;
  write(text: string): Promise<void>;
  /** How it ended, once it has. */
  readonly exited: Promise<{ exitCode: number | null; signal: string | null }>;
  /** Whether it sits blocked reading the terminal; undefined where that cannot be told. */
  waitingForInput(): Promise<boolean | undefined>;
  /** Ends it (hang-up, then KILL) and lets go of its terminal. */
  close(): Promise<void>;
}

/** A web page as browse_web gives it to the model: readable text and links, clipped. */
export interface WebPage {
  /** The address asked for, and where it ended after redirects. */
  url: string;
  finalUrl: string;
  status: number;
  contentType: string;
  title: string;
  text: string;
  links: { text: string; url: string }[];
  /** The text was cut at maxChars. */
  truncated: boolean;
  /** What fetched it: a real Chromium, or a plain HTTP fetch with text extraction. */
  engine: 'chromium' | 'fetch';
}

export interface WebAccess {
  browse(
    url: string,
    options: { timeoutMs: number; maxChars: number; signal?: AbortSignal },
  ): Promise<WebPage>;
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
  /**
   * Asks a person a question and waits for the answer (the agent's phase is waiting meanwhile); absent where no
   * person can be asked (a loop without an approval gate).
   */
  ask?(question: string): Promise<HumanAnswer>;
}

/** What came back from a question to a person: the answer, or why there is none (declined, nobody answered). */
export type HumanAnswer = { answered: true; answer: string } | { answered: false; reason: string };

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
  /**
   * The parameters as JSON Schema, given to the model as they are (a plugin's manifest); `parameters` then checks
   * calls and is made from it. Without it, the model gets the JSON Schema derived from `parameters`.
   */
  jsonSchema?: Record<string, unknown>;
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
