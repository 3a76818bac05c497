import { isHabitatError, type AgentPhase } from '../../shared/protocol/index.js';
import type { AgentLoopOptions } from '../AgentLoop.js';
import { needsApproval } from '../approvals/index.js';
import type { ChatMessage, ToolCall } from '../llm/types.js';
import { clip } from '../tools/paths.js';
import type { HumanAnswer, ToolContext, ToolOutput } from '../tools/types.js';
import { EVENT_OUTPUT_CHARS, type LoopEvent } from './loopEvents.js';

/** What of the loop's options running tool calls reads. */
export type ToolCallOptions = Pick<AgentLoopOptions, 'tools' | 'host' | 'control' | 'memory' | 'approvals'>;

/**
 * What running tool calls needs from its loop. The run's state stays with the loop (its step, its completion, its
 * streak of malformed calls), and so do the checks that end the run: each throws the loop's EndRun, which goes
 * through the tool call untouched and ends the run.
 */
export interface ToolCallLoop {
  /** KILL or the time budget: aborts whatever is in flight. */
  readonly signal: AbortSignal;
  now(): number;
  /** The step under way. */
  step(): number;
  emit(event: LoopEvent): void;
  phase(phase: AgentPhase): void;
  /** Whether a call to complete (an earlier call of this step) ended the run. */
  completed(): boolean;
  /** The complete tool: the run ends once this step is done. */
  complete(summary: string, success: boolean): void;
  /** The memory tool changed the notes: the next system prompt shows them. */
  memoryChanged(notes: string): void;
  /** A call the registry could not read (an unknown tool, arguments its schema refuses): one more in a row. */
  malformedCall(): void;
  /** A call the registry could read: the streak of malformed ones is over. */
  wellFormedCall(): void;
  /** KILL: ends the run. */
  checkKilled(): void;
  /** The time budget ran out: ends the run. */
  checkDeadline(): void;
  /** Another loop took over the agent (a rollback): ends the run. */
  checkRetired(): void;
}

/**
 * The act part of the loop: runs the model's tool calls one at a time. Each is validated, approved where the policy
 * says so (the agent waits for a person meanwhile), held while the agent is stopped, run, and whatever happens (a
 * result, a refusal, a thrown error) becomes a tool message for the model and a tool.result event.
 */
export class ToolCalls {
  constructor(
    private readonly options: ToolCallOptions,
    private readonly loop: ToolCallLoop,
  ) {}

  /** One tool call: validate, approve, run, and turn whatever happens into a tool message for the model. */
  async run(call: ToolCall): Promise<ChatMessage> {
    const { tools, host } = this.options;
    if (this.loop.completed()) return result(call, 'not run: the run was completed by an earlier call', true);
    const started = this.loop.now();
    this.loop.emit({ type: 'tool.call', callId: call.id, tool: call.name, args: call.args });
    const prepared = tools.prepare(call);
    if (!prepared.ok) {
      this.loop.malformedCall();
      this.emitResult(
        call,
        started,
        { content: prepared.error, isError: true },
        { code: 'E_INVALID', message: prepared.error },
      );
      return result(call, prepared.error, true);
    }
    this.loop.wellFormedCall();
    const { tool, args } = prepared;

    const approvals = this.options.approvals;
    if (approvals) {
      const reasons = tools.dangerReasons(tool, args, host);
      if (needsApproval(approvals.policy, { harmless: Boolean(tool.harmless), reasons })) {
        const decision = await this.throughGate(
          call,
          args,
          reasons.length ? reasons : [`the approval policy is '${approvals.policy}'`],
        );
        if (!decision.approved) {
          const message = `not run: ${decision.reason}`;
          this.emitResult(call, started, { content: message, isError: true }, { code: 'E_DENIED', message });
          return result(call, message, true);
        }
      }
    }
    await this.holdWhileStopped();

    let output: ToolOutput;
    let error: { code: string; message: string } | undefined;
    try {
      const raw = await tool.handler(args, this.context(call));
      output = typeof raw === 'string' ? { content: raw } : raw;
    } catch (thrown) {
      this.loop.checkKilled();
      this.loop.checkDeadline();
      error = isHabitatError(thrown)
        ? { code: thrown.code, message: thrown.message }
        : { code: 'E_INTERNAL', message: thrown instanceof Error ? thrown.message : String(thrown) };
      output = { content: `${error.code}: ${error.message}`, isError: true };
    }
    this.emitResult(
      call,
      started,
      output,
      error ?? (output.isError ? { code: 'E_TOOL', message: clip(output.content, 500) } : undefined),
    );
    return result(call, output.content, Boolean(output.isError), output.images);
  }

  /** A question for a person through the approval gate: the agent waits (phase waiting) for the answer. */
  private async askHuman(call: ToolCall, question: string): Promise<HumanAnswer> {
    const decision = await this.throughGate(call, { question }, [], question);
    return decision.answer !== undefined
      ? { answered: true, answer: decision.answer }
      : { answered: false, reason: decision.reason };
  }

  /**
   * One round trip through the approval gate, an approval or a question: the agent waits (phase waiting), the
   * request and its resolution are events, and a KILL or the deadline reached meanwhile end the run.
   */
  private async throughGate(call: ToolCall, args: unknown, reasons: string[], question?: string) {
    const { gate, timeoutMs } = this.options.approvals!;
    this.loop.phase('waiting');
    let requestId = '';
    const asked = question === undefined ? {} : { question };
    const decision = await gate.request({
      pid: this.options.host.pid,
      tool: call.name,
      args,
      reasons,
      ...asked,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      signal: this.loop.signal,
      onRequested: (request) => {
        requestId = request.id;
        this.loop.emit({
          type: 'approval.requested',
          requestId,
          callId: call.id,
          tool: call.name,
          args,
          reasons,
          ...asked,
          expiresAt: request.expiresAt,
        });
      },
    });
    this.loop.emit({
      type: 'approval.resolved',
      requestId,
      callId: call.id,
      approved: decision.approved,
      by: decision.by,
      reason: decision.reason,
      ...(decision.answer === undefined ? {} : { answer: decision.answer }),
    });
    this.loop.checkKilled();
    this.loop.checkDeadline();
    this.loop.phase('executing');
    return decision;
  }

  /** STOP arriving mid-step (during a model call or an approval) holds the next tool until CONT. TERM does not. */
  private async holdWhileStopped(): Promise<void> {
    const { control } = this.options;
    if (control.isPaused && !control.terminating) await control.pausePoint();
    this.loop.checkRetired();
    this.loop.checkKilled();
  }

  private context(call: ToolCall): ToolContext {
    const approvals = this.options.approvals;
    return {
      ...(approvals ? { ask: (question: string) => this.askHuman(call, question) } : {}),
      host: this.options.host,
      signal: this.loop.signal,
      memory: this.options.memory,
      step: this.loop.step(),
      complete: (summary, success) => this.loop.complete(summary, success),
      memoryChanged: (notes) => this.loop.memoryChanged(notes),
    };
  }

  private emitResult(
    call: ToolCall,
    started: number,
    output: ToolOutput,
    error: { code: string; message: string } | undefined,
  ): void {
    this.loop.emit({
      type: 'tool.result',
      callId: call.id,
      tool: call.name,
      ok: !output.isError,
      output: clip(output.content, EVENT_OUTPUT_CHARS),
      ...(output.data === undefined ? {} : { data: output.data }),
      ...(error ? { error } : {}),
      durationMs: this.loop.now() - started,
    });
  }
}

function result(
  call: ToolCall,
  content: string,
  isError: boolean,
  images?: ToolOutput['images'],
): ChatMessage {
  return {
    role: 'tool',
    callId: call.id,
    name: call.name,
    content,
    ...(isError ? { isError: true } : {}),
    ...(images?.length ? { images } : {}),
  };
}

/** The answer to a call a run cut off mid-step left without one: every provider wants each call answered. */
export function interrupted(call: ToolCall): ChatMessage {
  return result(
    call,
    'interrupted: the agent was restarted before this call finished; check its effect before retrying',
    true,
  );
}
