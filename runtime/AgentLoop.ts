import type { ApprovalGate, ApprovalPolicy } from './approvals/index.js';
import { InMemoryConversation, type ConversationLog } from './conversation/index.js';
import type { AgentEvent, AgentEventSink, AgentOutcome, AgentRunResult } from './events.js';
import { isProviderError } from './llm/errors.js';
import {
  LOOP_NOTE_PREFIX,
  type ChatMessage,
  type ChatResponse,
  type ModelProgress,
  type Provider,
  type ProviderErrorInfo,
  type ToolCall,
} from './llm/types.js';
import { EVENT_OUTPUT_CHARS, interrupted, ToolCalls, type LoopEvent } from './loop/index.js';
import type { AgentMemory } from './memory/index.js';
import { systemPrompt } from './prompt.js';
import { clip } from './tools/paths.js';
import type { ToolRegistry } from './tools/registry.js';
import { closeCommandSessions } from './tools/sessions.js';
import type { AgentHost } from './tools/types.js';

/** The loop's side of the kernel's LoopControl (kernel.processes.control(pid)); a structural type so tests may fake it. */
export interface LoopSignals {
  /** Aborted by KILL: whatever the loop is doing stops. */
  readonly signal: AbortSignal;
  /** Aborted by TERM or KILL: what is not a step (a model pull) need not be let finish. */
  readonly endSignal: AbortSignal;
  readonly isPaused: boolean;
  readonly terminating: boolean;
  pausePoint(): Promise<'continue' | 'end'>;
}

export interface AgentBudgets {
  /** Model turns. Default 50. */
  maxSteps?: number;
  /**
   * Wall-clock time of the whole run, waits for approval included, from when its model is ready (a model pull before
   * the first turn is not counted). Default 30 minutes.
   */
  maxDurationMs?: number;
  /** Input plus output tokens, as the provider reports them. Default 2,000,000. */
  maxTokens?: number;
}

export interface AgentApprovals {
  policy: ApprovalPolicy;
  gate: ApprovalGate;
  /** How long a request waits before it is denied; default the gate's. */
  timeoutMs?: number;
}

export interface AgentLoopOptions {
  goal: string;
  name?: string;
  role?: string;
  instructions?: string;
  provider: Provider;
  tools: ToolRegistry;
  host: AgentHost;
  control: LoopSignals;
  sink?: AgentEventSink;
  conversation?: ConversationLog;
  memory?: AgentMemory;
  /** Without it, nothing waits for approval (policy 'never'). */
  approvals?: AgentApprovals;
  budgets?: AgentBudgets;
  now?: () => number;
  /** Settles once the tools are all in place (an agent's plugin tools): the first model turn waits for it. */
  toolsReady?: Promise<unknown>;
  /**
   * Called after each step that did not end the run, before the loop reaches its next pause point: whoever wants
   * the loop held at this boundary (a checkpoint) pauses its control now. Must not throw or block.
   */
  onStepEnd?(step: number): void;
  /** Steps already done (a run that goes on from a checkpoint counts on from there). */
  firstStep?: number;
  /**
   * Tokens and time earlier runs of the same agent used (a run resumed after a restart, or rolled back): the budgets
   * count on from there, and the run's totals (usage events, its end) include them.
   */
  spent?: RunSpent;
}

/** What a run has used of its token and time budgets. */
export interface RunSpent {
  tokens: { input: number; output: number };
  durationMs: number;
}

const MAX_SILENT_TURNS = 2;
const MAX_INVALID_STREAK = 5;
const RETIRED = 'replaced by another run of the same agent (rollback)';

class EndRun extends Error {
  constructor(
    readonly outcome: AgentOutcome,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * One agent's think → act → observe loop. Each step asks the model for its next move (thinking), runs the tool
 * calls it made (executing; dangerous ones wait for a person first: waiting), and records the results (observing).
 * Between steps it stops on STOP, ends on TERM, and KILL aborts whatever is in flight. Everything it does goes to
 * the sink as events, and every message to the conversation log, so a restarted run resumes.
 */
export class AgentLoop {
  private readonly now: () => number;
  private readonly sink: AgentEventSink;
  private readonly conversation: ConversationLog;
  private readonly budgets: Required<AgentBudgets>;
  private readonly deadline = new AbortController();
  private step = 0;
  private tokens = { input: 0, output: 0 };
  private startedAt = 0;
  /** Time earlier runs of the agent used (options.spent): the time budget counts on from there. */
  private readonly priorMs: number;
  /** The run's whole duration, once it ended. */
  private endedMs: number | undefined;
  private notes = '';
  private completion: { summary: string; success: boolean } | undefined;
  private running = false;
  /** Replaced by another loop for the same agent (a rollback): it ends at its next pause point, leaving no trace. */
  private retired = false;
  /** Model turns in a row without a tool call, and malformed calls in a row: both end a run that goes nowhere. */
  private silentTurns = 0;
  /** Of those, the answers in a row with no text either. */
  private emptyTurns = 0;
  private invalidStreak = 0;
  /** KILL or the time budget: aborts whatever is in flight. */
  private readonly signal: AbortSignal;
  /** Runs each step's tool calls (approvals, pause points, results); the run's state stays here. */
  private readonly toolCalls: ToolCalls;

  constructor(private readonly options: AgentLoopOptions) {
    this.now = options.now ?? Date.now;
    const sink = options.sink ?? (() => {});
    this.sink = (event) => {
      try {
        sink(event);
      } catch {
        // a broken listener must not break the agent
      }
    };
    this.conversation = options.conversation ?? new InMemoryConversation();
    this.budgets = {
      maxSteps: options.budgets?.maxSteps ?? 50,
      maxDurationMs: options.budgets?.maxDurationMs ?? 30 * 60_000,
      maxTokens: options.budgets?.maxTokens ?? 2_000_000,
    };
    this.signal = AbortSignal.any([options.control.signal, this.deadline.signal]);
    this.step = options.firstStep ?? 0;
    this.tokens = { input: options.spent?.tokens.input ?? 0, output: options.spent?.tokens.output ?? 0 };
    this.priorMs = Math.max(0, options.spent?.durationMs ?? 0);
    this.toolCalls = new ToolCalls(options, {
      signal: this.signal,
      now: () => this.now(),
      step: () => this.step,
      emit: (event) => this.emit(event),
      phase: (phase) => this.phase(phase),
      completed: () => this.completion !== undefined,
      complete: (summary, success) => {
        this.completion = { summary, success };
      },
      memoryChanged: (notes) => this.setNotes(notes),
      malformedCall: () => {
        this.invalidStreak++;
      },
      wellFormedCall: () => {
        this.invalidStreak = 0;
      },
      checkKilled: () => this.checkKilled(),
      checkDeadline: () => this.checkDeadline(),
      checkRetired: () => this.checkRetired(),
    });
  }

  /** Steps done so far. */
  get steps(): number {
    return this.step;
  }

  /** Tokens and time used so far, those of earlier runs (options.spent) included. */
  get spent(): RunSpent {
    return {
      tokens: { ...this.tokens },
      durationMs: this.endedMs ?? (this.running ? this.now() - this.startedAt : this.priorMs),
    };
  }

  /**
   * Another loop takes over this agent (a rollback): this one does nothing more, ends at its next pause point (where
   * a held loop waits) and reports nothing: no events, no messages.
   */
  retire(): void {
    this.retired = true;
  }

  async run(): Promise<AgentRunResult> {
    if (this.running) throw new Error('this loop is already running');
    this.running = true;
    this.startedAt = this.now() - this.priorMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      this.phase('booting');
      await this.options.toolsReady?.catch(() => undefined);
      await this.prepareModel();
      // the time budget counts from here: getting the model (a pull of gigabytes) is not the agent's work
      this.startedAt = this.now() - this.priorMs;
      const left = Math.max(0, this.budgets.maxDurationMs - this.priorMs);
      timer = setTimeout(() => this.deadline.abort(new Error('time budget')), left);
      timer.unref?.();
      const history = await this.boot();
      for (;;) {
        await this.runStep(history);
        try {
          this.options.onStepEnd?.(this.step);
        } catch {
          // a broken hook must not break the agent
        }
      }
    } catch (error) {
      // commands left waiting for input end with the run, before the run says it has ended
      await closeCommandSessions(this.options.host).catch(() => undefined);
      return this.end(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A person replaced the agent's memory (agent.setMemory): the next model turn sees the new notes. */
  setNotes(notes: string): void {
    this.notes = notes;
    this.emit({ type: 'memory', notes });
  }

  private async boot(): Promise<ChatMessage[]> {
    const history = await this.conversation.load();
    // a run cut off mid-step left calls without results: answer them, so every provider accepts the history
    const lastTurn = history.findLastIndex((m) => m.role === 'assistant');
    const calls = lastTurn === -1 ? [] : ((history[lastTurn] as { toolCalls?: ToolCall[] }).toolCalls ?? []);
    const answered = new Set(history.slice(lastTurn + 1).map((m) => (m.role === 'tool' ? m.callId : '')));
    for (const call of calls) if (!answered.has(call.id)) await this.record(history, interrupted(call));
    if (!history.some((m) => m.role === 'user'))
      await this.record(history, { role: 'user', content: this.options.goal });
    this.notes = (await this.options.memory?.read()) ?? '';
    return history;
  }

  /**
   * Gets the model ready (a pull), its progress reported when the status or the whole percent changes. Not counted
   * against the time budget (a pull has its own idle timeout); KILL aborts it, and so does TERM, since a pull is
   * no step to let finish. A failure is reported as the model's (llm.error) and fails the run.
   */
  private async prepareModel(): Promise<void> {
    const { provider } = this.options;
    if (!provider.prepare) return;
    let last = '';
    const onProgress = (progress: ModelProgress) => {
      const key = `${progress.status} ${progress.percent ?? ''}`;
      if (key === last) return;
      last = key;
      this.emit({
        type: 'model.pull',
        model: provider.model,
        status: progress.status,
        message: describePull(provider.model, progress),
        ...(progress.percent === undefined ? {} : { percent: progress.percent }),
        ...(progress.completed === undefined ? {} : { completed: progress.completed }),
        ...(progress.total === undefined ? {} : { total: progress.total }),
      });
    };
    try {
      await provider.prepare(onProgress, AbortSignal.any([this.signal, this.options.control.endSignal]));
    } catch (error) {
      this.checkKilled();
      if (this.options.control.terminating)
        throw new EndRun('terminated', 'terminated (TERM) while its model was being made ready');
      const info = this.errorInfo(error);
      this.emit({ type: 'llm.error', error: info });
      throw new EndRun('failed', `the model (${provider.name}) could not be made ready: ${info.message}`);
    }
  }

  private async runStep(history: ChatMessage[]): Promise<void> {
    const { control } = this.options;
    // yield to I/O between steps: hundreds of agents with instant answers must not starve the event loop
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.checkKilled();
    if ((await control.pausePoint()) === 'end') {
      this.checkKilled();
      throw new EndRun('terminated', 'terminated (TERM) between steps');
    }
    this.checkRetired();
    this.checkBudgets();
    this.step++;
    this.phase('thinking');
    const response = await this.think(history);
    const assistant: ChatMessage = {
      role: 'assistant',
      content: response.text,
      ...(response.toolCalls.length ? { toolCalls: response.toolCalls } : {}),
      ...(response.signature ? { signature: response.signature } : {}),
    };
    await this.record(history, assistant);
    if (response.toolCalls.length === 0) return this.noToolCalls(history, response);
    this.silentTurns = 0;
    this.emptyTurns = 0;

    this.phase('executing');
    for (const call of response.toolCalls) await this.record(history, await this.toolCalls.run(call));
    this.phase('observing');
    if (this.completion) {
      const { summary, success } = this.completion;
      throw new EndRun(
        success ? 'completed' : 'failed',
        success ? 'the agent completed its goal' : `the agent gave up: ${clip(summary, 300)}`,
      );
    }
    if (this.invalidStreak >= MAX_INVALID_STREAK) {
      throw new EndRun('failed', `the model made ${this.invalidStreak} malformed tool calls in a row`);
    }
  }

  private async think(history: ChatMessage[]): Promise<ChatResponse> {
    const { provider, tools } = this.options;
    try {
      const response = await provider.chat({
        system: this.systemPrompt(),
        messages: history,
        tools: tools.declarations(),
        signal: this.signal,
        onText: (text) => this.emit({ type: 'thought.delta', text }),
        onEvent: (event) =>
          this.emit({
            type: 'llm.retry',
            attempt: event.attempt,
            delayMs: event.delayMs,
            error: event.error,
          }),
      });
      this.tokens.input += response.usage.inputTokens;
      this.tokens.output += response.usage.outputTokens;
      this.emit({
        type: 'usage',
        inputTokens: response.usage.inputTokens,
        outputTokens: response.usage.outputTokens,
        totalInput: this.tokens.input,
        totalOutput: this.tokens.output,
      });
      // clipped like tool output: the model keeps the whole answer, the log and the watchers a readable part
      if (response.text) this.emit({ type: 'thought', text: clip(response.text, EVENT_OUTPUT_CHARS) });
      return response;
    } catch (error) {
      this.checkKilled();
      this.checkDeadline();
      const info = this.errorInfo(error);
      this.emit({ type: 'llm.error', error: info });
      throw new EndRun('failed', `the model (${provider.name}) failed: ${info.message}`);
    }
  }

  /** A provider's failure as the llm.error event reports it. */
  private errorInfo(error: unknown): ProviderErrorInfo {
    if (isProviderError(error)) return error.info();
    return {
      kind: 'unavailable',
      message: error instanceof Error ? error.message : String(error),
      provider: this.options.provider.name,
      retryable: false,
    };
  }

  /**
   * A turn without tool calls: a malformed call the API rejected, talk, or no answer at all. Remind the model; after
   * a few such turns in a row, talk is taken as done and no answer as a failure.
   */
  private async noToolCalls(history: ChatMessage[], response: ChatResponse): Promise<void> {
    if (/MALFORMED/i.test(response.finishReason ?? '')) {
      this.invalidStreak++;
      if (this.invalidStreak >= MAX_INVALID_STREAK)
        throw new EndRun('failed', 'the model kept making malformed tool calls');
      await this.record(
        history,
        note(
          'Your last tool call was malformed and could not be read. Call the tool again with valid JSON arguments.',
        ),
      );
      return;
    }
    // an answer with neither text nor a tool call is no answer: never taken for a summary of work done
    const empty = !response.text.trim();
    this.emptyTurns = empty ? this.emptyTurns + 1 : 0;
    if (++this.silentTurns > MAX_SILENT_TURNS) {
      if (empty) throw new EndRun('failed', this.noAnswer(response));
      this.completion = { summary: response.text, success: true };
      this.emit({
        type: 'warning',
        message:
          'the model stopped calling tools without calling complete; its last answer is taken as the summary',
      });
      throw new EndRun('completed', 'the model answered without calling complete');
    }
    await this.record(
      history,
      note(
        empty
          ? 'Your answer was empty. Go on with tools, or call complete with a summary if the goal is done.'
          : 'You answered without calling a tool. Go on with tools, or call complete with a summary if the goal is done.',
      ),
    );
  }

  /** Why a run whose model stopped answering failed. */
  private noAnswer(response: ChatResponse): string {
    const finish = response.finishReason ? `, finish reason ${response.finishReason}` : '';
    return this.emptyTurns === this.silentTurns
      ? `the model gave ${this.emptyTurns} empty answers in a row (no text, no tool call${finish})`
      : `the model stopped without calling complete: its last answer was empty (no text, no tool call${finish})`;
  }

  private checkRetired(): void {
    if (this.retired) throw new EndRun('terminated', RETIRED);
  }

  private systemPrompt(): string {
    return systemPrompt({
      goal: this.options.goal,
      notes: this.notes,
      policy: this.options.approvals?.policy ?? 'never',
      maxSteps: this.budgets.maxSteps,
      tools: this.options.tools.names(),
      ...(this.options.name ? { name: this.options.name } : {}),
      ...(this.options.role ? { role: this.options.role } : {}),
      ...(this.options.instructions ? { instructions: this.options.instructions } : {}),
    });
  }

  private checkKilled(): void {
    if (this.options.control.signal.aborted) throw new EndRun('killed', 'killed (KILL)');
  }

  private checkDeadline(): void {
    if (this.deadline.signal.aborted) throw this.timeBudgetExceeded();
  }

  private timeBudgetExceeded(): EndRun {
    return new EndRun(
      'failed',
      `the time budget (${duration(this.budgets.maxDurationMs)}) ran out before the goal was done`,
    );
  }

  private checkBudgets(): void {
    const b = this.budgets;
    if (this.deadline.signal.aborted || this.now() - this.startedAt >= b.maxDurationMs)
      throw this.timeBudgetExceeded();
    if (this.step >= b.maxSteps)
      throw new EndRun('failed', `the step budget (${b.maxSteps} steps) ran out before the goal was done`);
    const used = this.tokens.input + this.tokens.output;
    if (used >= b.maxTokens)
      throw new EndRun('failed', `the token budget (${b.maxTokens} tokens) ran out: ${used} used`);
  }

  private async record(history: ChatMessage[], message: ChatMessage): Promise<void> {
    history.push(message);
    await this.conversation.append(message);
  }

  private end(error: unknown): AgentRunResult {
    const ended =
      error instanceof EndRun
        ? error
        : new EndRun(
            'failed',
            `the runtime failed: ${error instanceof Error ? error.message : String(error)}`,
          );
    this.endedMs = this.now() - this.startedAt;
    const result: AgentRunResult = {
      outcome: ended.outcome,
      reason: ended.reason,
      ...(this.completion ? { summary: this.completion.summary } : {}),
      steps: this.step,
      tokens: { ...this.tokens },
      durationMs: this.endedMs,
    };
    if (this.retired) return result; // its successor speaks for the agent now
    this.phase(ended.outcome === 'completed' ? 'completed' : 'failed');
    this.emit({ type: 'end', ...result });
    return result;
  }

  private phase(phase: Extract<AgentEvent, { type: 'phase' }>['phase']): void {
    this.emit({ type: 'phase', phase });
  }

  private emit(event: LoopEvent): void {
    this.sink({ ...event, at: this.now(), step: this.step } as AgentEvent);
  }
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function note(text: string): ChatMessage {
  return { role: 'user', content: `${LOOP_NOTE_PREFIX}${text}` };
}

function describePull(model: string, progress: ModelProgress): string {
  if (progress.percent === undefined || !progress.total) return `${model}: ${progress.status}`;
  const gb = progress.total / 1e9;
  const size = gb >= 1 ? `${gb.toFixed(1)} GB` : `${Math.max(1, Math.round(progress.total / 1e6))} MB`;
  return `${model}: ${progress.status} ${progress.percent}% of ${size}`;
}
