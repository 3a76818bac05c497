import type { Kernel, SpawnRequest } from '../../kernel/index.js';
import {
  ConversationMessageSchema,
  HabitatError,
  isHabitatError,
  ollamaHostProblem,
  type ApprovalRequest as WireApprovalRequest,
  type ProcessInfo,
  type ProviderStatus,
  sameModelName,
} from '../../shared/protocol/index.js';
import { AgentLoop, type RunSpent } from '../AgentLoop.js';
import { ApprovalGate, type ApprovalRequest } from '../approvals/index.js';
import { StoredConversation } from '../conversation/index.js';
import type { AgentEvent, AgentRunResult } from '../events.js';
import {
  createProvider,
  normalOllamaHost,
  OllamaProvider,
  providerEndpoints,
  providerStatuses,
  type Provider,
  type ProviderSettings,
  type PullProgress,
} from '../llm/index.js';
import { HomeFileMemory } from '../memory/index.js';
import { agentTools, kernelHost, type WebAccess } from '../tools/index.js';
import { WebBrowser } from '../web/index.js';
import { PluginToolSync } from './pluginSync.js';
import { AgentEventPublisher } from './publisher.js';
import { runProgress } from './runSpent.js';
import { snapshotState } from './snapshotState.js';
import {
  checkNeedsGoal,
  OUTCOME_EXIT_CODES,
  runSettings,
  storedSettings,
  type AgentRunRequest,
  type AgentRunSettings,
} from './settings.js';

/** The store's setting for the Ollama server a person chose (agent.setProviderSettings); OLLAMA_HOST yields to it. */
const OLLAMA_HOST_SETTING = 'ollamaHost';

export interface AgentSupervisorOptions {
  /** Where keys and URLs come from headless (GEMINI_API_KEY, GEMINI_BASE_URL, OLLAMA_HOST). Default process.env. */
  env?: Record<string, string | undefined>;
  /** Provider settings from the settings store (the desktop app keeps keys there), read at every spawn. */
  providerSettings?: () => ProviderSettings;
  /** How long an action waits for a person before it is denied. Default 10 minutes. */
  approvalTimeoutMs?: number;
  /** How often streamed thought text is sent. Default 50 ms. */
  thoughtFlushMs?: number;
  /**
   * browse_web's engine for agents with network: default a WebBrowser (Chromium where installed, else fetch; public
   * addresses only, unless HABITAT_WEB_ALLOW_PRIVATE=1 in env); false for none.
   */
  web?: WebAccess | false;
}

interface Run {
  loop: AgentLoop;
  done: Promise<void>;
  plugins: PluginToolSync;
  /** Replaced by a run from a rollback: its end is not the agent's. */
  retired?: boolean;
}

const LIVE = ['created', 'running', 'sleeping', 'stopped'] as const;
const CLOSE_WAIT_MS = 5000;

/**
 * Runs the goals of a kernel's agents: an agent spawned with a goal gets an AgentLoop (its provider, the core tools
 * in its sandbox, its memory, its conversation in the store, the kernel's LoopControl for signals) whose events
 * stream on agent.event.<pid> and land in its log. The agent is its loop: when the run ends, the process exits
 * (exit code 0 completed, 1 failed, 143 terminated, 137 killed; the reason as its exit reason) and its sandbox goes,
 * as when a shell exits. One ApprovalGate serves every agent, so a person approves by PID.
 */
export class AgentSupervisor {
  readonly gate: ApprovalGate;
  private readonly runs = new Map<number, Run>();
  private readonly env: Record<string, string | undefined>;
  private readonly web: WebAccess | undefined;
  /** The browser this supervisor made (and closes); not one it was given. */
  private readonly ownBrowser: WebBrowser | undefined;
  private closing = false;
  /** Models being pulled (pullModel). */
  private readonly pulls = new Set<string>();

  constructor(
    private readonly kernel: Kernel,
    private readonly options: AgentSupervisorOptions = {},
  ) {
    this.env = options.env ?? process.env;
    if (options.web === undefined) {
      const anyAddress = this.env.HABITAT_WEB_ALLOW_PRIVATE === '1';
      this.web = this.ownBrowser = new WebBrowser(anyAddress ? { allowed: () => true } : {});
    } else this.web = options.web || undefined;
    this.gate = new ApprovalGate({ timeoutMs: options.approvalTimeoutMs });
    this.gate.onChange((change) =>
      kernel.events.emit('agent.approval', {
        pid: change.request.pid,
        change: change.type,
        request: wire(change.request),
        ...(change.type === 'resolved' ? { decision: change.decision } : {}),
      }),
    );
    // snapshots keep each agent's conversation and step; a rollback runs it again from there
    kernel.snapshots.setAgentStateProvider(
      snapshotState(kernel, {
        steps: (pid) => this.runs.get(pid)?.loop.steps,
        restart: (pid, step) => this.restart(pid, step),
        resume: (pid, settings, step, note) => this.resumeRestored(pid, settings, step, note),
      }),
    );
  }

  /**
   * Spawns a process; with a goal it runs the goal. The provider is made first, so a refusal (Gemini without a key:
   * E_UNAVAILABLE) leaves no process behind.
   */
  async spawn(request: SpawnRequest, run: AgentRunRequest = {}): Promise<ProcessInfo> {
    checkNeedsGoal(run, request.goal);
    if (!request.goal?.trim()) return this.kernel.processes.spawn(request);
    const settings = runSettings(run);
    const provider = this.provider(settings);
    const info = await this.kernel.processes.spawn({ ...request, agent: { ...settings } });
    try {
      this.start(info, provider, settings);
    } catch (error) {
      // no agent without its run: the process ends, saying why
      this.exit(info.pid, 'failed', `could not start its run: ${message(error)}`);
      throw error;
    }
    return this.kernel.processes.get(info.pid);
  }

  /**
   * After a restart: agents that live on (re-attached containers) in the middle of a run resume it from their
   * saved conversation; a tool call the restart cut off is answered as interrupted, so the model checks its effect.
   * Their budgets count on from what they had used (steps, tokens, time: see runProgress), so restarts never give
   * a run more than its budgets. Returns the PIDs that resumed.
   */
  recover(): number[] {
    const resumed: number[] = [];
    for (const record of this.kernel.store.listProcesses({ states: [...LIVE] })) {
      const settings = storedSettings(record.config);
      if (!settings || !record.goal || this.runs.has(record.pid)) continue;
      try {
        if (this.resume(record.pid, settings)) resumed.push(record.pid);
      } catch (error) {
        // one agent that cannot resume must not keep the kernel from starting
        this.exit(record.pid, 'failed', `could not resume after a restart: ${message(error)}`);
      }
    }
    return resumed;
  }

  private resume(pid: number, settings: AgentRunSettings): boolean {
    const info = this.kernel.processes.get(pid);
    if (info.phase === 'completed' || info.phase === 'failed') {
      // the run ended, and the kernel stopped before the process could exit
      this.exit(pid, info.phase, 'the run ended as the kernel stopped');
      return false;
    }
    const saved = this.kernel.store.messageCount(pid);
    // its budgets count on: the steps, tokens and time it had used before the restart
    const { steps, ...spent } = runProgress(this.kernel.store, pid);
    const note = `resumed after a kernel restart from its saved conversation (${saved} messages) after step ${steps}`;
    this.start(info, this.provider(settings), settings, { note, firstStep: steps, spent });
    return true;
  }

  isRunning(pid: number): boolean {
    return this.runs.has(pid);
  }

  approve(pid: number, id?: string, reason?: string): WireApprovalRequest {
    this.kernel.processes.get(pid); // E_NOT_FOUND for a PID that never was
    return wire(this.gate.approve(pid, id, reason));
  }

  deny(pid: number, id?: string, reason?: string): WireApprovalRequest {
    this.kernel.processes.get(pid);
    return wire(this.gate.deny(pid, id, reason));
  }

  /** Answers the question the agent asked a person (ask_human). */
  answer(pid: number, id: string | undefined, text: string): WireApprovalRequest {
    this.kernel.processes.get(pid);
    return wire(this.gate.answer(pid, id, text));
  }

  /** The plugin tools a running agent has now (plugin__<name>__<tool>). */
  pluginTools(pid: number): string[] {
    return this.runs.get(pid)?.plugins.names() ?? [];
  }

  /** Whether each model provider can drive an agent now, with the settings and environment a spawn would use. */
  providers(): Promise<ProviderStatus[]> {
    return providerStatuses(this.providerSettings(), this.env);
  }

  /**
   * Changes how providers are reached (kept in the kernel's store, for agents started or resumed from now on; the
   * change goes in the event log, since it redirects every agent's model traffic) and says what they are like now.
   */
  async setProviderSettings(change: { ollamaHost?: string | null }): Promise<ProviderStatus[]> {
    if (change.ollamaHost !== undefined) {
      const problem = change.ollamaHost === null ? undefined : ollamaHostProblem(change.ollamaHost);
      if (problem) throw new HabitatError('E_INVALID', `the Ollama server's address ${problem}`);
      const ollamaHost = change.ollamaHost === null ? undefined : normalOllamaHost(change.ollamaHost);
      this.kernel.store.setSetting(OLLAMA_HOST_SETTING, ollamaHost);
      this.kernel.store.appendEvent(null, 'settings.changed', { ollamaHost: ollamaHost ?? null });
    }
    return this.providers();
  }

  /**
   * Pulls a model onto the Ollama server agents use (its default model unless named), ahead of the agents that would
   * otherwise pull it on their first turn. One pull of a model at a time: another asked meanwhile is E_CONFLICT.
   */
  async pullModel(
    model: string | undefined,
    onProgress: (model: string, progress: PullProgress) => void,
  ): Promise<string> {
    const host = providerEndpoints(this.providerSettings(), this.env).ollamaHost;
    const ollama = new OllamaProvider({ host, ...(model ? { model } : {}) });
    // `llama3.2` and `llama3.2:latest` are one model: one pull
    const busy = [...this.pulls].find((name) => sameModelName(name, ollama.model));
    if (busy) throw new HabitatError('E_CONFLICT', `${busy} is being pulled already`);
    this.pulls.add(ollama.model);
    try {
      await ollama.pull((progress) => onProgress(ollama.model, progress));
      return ollama.model;
    } catch (error) {
      throw new HabitatError('E_UNAVAILABLE', `pulling ${ollama.model}: ${message(error)}`);
    } finally {
      this.pulls.delete(ollama.model);
    }
  }

  approvals(pid?: number): WireApprovalRequest[] {
    return this.gate.list(pid).map(wire);
  }

  async getMemory(pid: number): Promise<string> {
    return this.memory(pid).read();
  }

  /** Replaces the notes; a running agent sees them from its next model turn. */
  async setMemory(pid: number, notes: string): Promise<string> {
    await this.memory(pid).write(notes);
    this.runs.get(pid)?.loop.setNotes(notes);
    return notes;
  }

  /** A page of the agent's conversation, as stored (images as base64). */
  conversation(pid: number, offset: number, limit: number) {
    this.kernel.processes.get(pid);
    return {
      total: this.kernel.store.messageCount(pid),
      messages: this.kernel.store.messages(pid, offset, limit).map((entry) => ({
        seq: entry.seq,
        at: entry.at,
        message: ConversationMessageSchema.parse(entry.message),
      })),
    };
  }

  /**
   * Ends every run (as KILL would) and waits for them to settle, before the kernel closes: their last events reach
   * the log, and the kernel's shutdown records why each agent ended.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const pid of this.runs.keys()) {
      try {
        this.kernel.processes.control(pid).kill();
      } catch {
        // already ended
      }
    }
    const settled = Promise.allSettled([...this.runs.values()].map((run) => run.done));
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
    await this.ownBrowser?.close();
  }

  /**
   * Readies the run's restart for a rollback: what can refuse it (making the provider) happens now, before the
   * rollback changes anything. Calling the result, once the rollback stands, ends the old run unseen and starts one
   * from the conversation then stored.
   */
  private restart(pid: number, step: number): () => void {
    const info = this.kernel.processes.get(pid);
    const settings = storedSettings(this.kernel.processes.record(pid).config);
    const provider = settings && info.goal ? this.provider(settings) : undefined;
    return () => {
      const old = this.runs.get(pid);
      if (old) {
        old.retired = true;
        old.loop.retire();
      }
      if (this.closing || !provider || !settings) return;
      // the steps go back with the conversation; the tokens and time it used stay used
      const spent = old?.loop.spent;
      this.start(info, provider, settings, {
        note: `rolled back to step ${step}`,
        firstStep: step,
        ...(spent ? { spent } : {}),
      });
    };
  }

  /**
   * A restored agent (restore, fork) whose run was under way: it goes on from the conversation now stored, with the
   * settings of the original, counting steps on. They are kept in its record, so a kernel restart resumes it too.
   * A run that cannot start (no key for its provider) ends the agent, saying why: the restore itself stands.
   */
  private resumeRestored(pid: number, saved: unknown, step: number, note: string): void {
    const info = this.kernel.processes.get(pid);
    if (this.closing || !info.goal?.trim() || this.runs.has(pid)) return;
    const kept = storedSettings({ agent: saved });
    const settings = kept ?? runSettings({});
    this.kernel.processes.configure(pid, { agent: { ...settings } });
    const why = kept ? note : `${note} (the snapshot kept no run settings: the defaults run it)`;
    try {
      this.start(info, this.provider(settings), settings, { note: why, firstStep: step });
    } catch (error) {
      this.exit(pid, 'failed', `could not start its run: ${message(error)}`);
    }
  }

  /**
   * Starts the agent's run. `from` says where it goes on from (a restart, a rollback, a restore): its first event
   * (note), the steps already done, and the tokens and time already used.
   */
  private start(
    info: ProcessInfo,
    provider: Provider,
    settings: AgentRunSettings,
    from: { note?: string; firstStep?: number; spent?: RunSpent } = {},
  ): void {
    const { pid } = info;
    const { note, firstStep, spent } = from;
    const publisher = new AgentEventPublisher(this.kernel, pid, { flushMs: this.options.thoughtFlushMs });
    if (note) publisher.publish({ type: 'warning', message: note, at: Date.now(), step: firstStep ?? 0 });
    const host = kernelHost(this.kernel, pid, this.web ? { web: this.web } : {});
    // computer use for a graphical agent (decided by its spawn), browse_web, then its plugins' tools
    const tools = agentTools(host);
    const warn = (message: string) =>
      publisher.publish({ type: 'warning', message, at: Date.now(), step: firstStep ?? 0 });
    const plugins = new PluginToolSync(this.kernel, pid, tools, warn);
    const loop = new AgentLoop({
      goal: info.goal!,
      name: info.name,
      ...(info.role ? { role: info.role } : {}),
      provider,
      tools,
      toolsReady: plugins.ready,
      host,
      control: this.kernel.processes.control(pid),
      memory: new HomeFileMemory(this.kernel.fs(pid)),
      conversation: new StoredConversation(this.kernel.store, pid),
      approvals: { policy: settings.approvalPolicy, gate: this.gate },
      ...(settings.maxSteps ? { budgets: { maxSteps: settings.maxSteps } } : {}),
      sink: (event: AgentEvent) => publisher.publish(event),
      onStepEnd: (step) => void this.kernel.snapshots.afterStep(pid, step),
      ...(firstStep ? { firstStep } : {}),
      ...(spent ? { spent } : {}),
    });
    const run: Run = { loop, done: Promise.resolve(), plugins };
    run.done = loop
      .run()
      .then((result) => (run.retired ? undefined : this.ended(pid, result)))
      .catch((error: unknown) => console.error(`[agents] the run of process ${pid} failed:`, error))
      .finally(() => {
        plugins.dispose();
        publisher.flush();
        if (this.runs.get(pid) === run) this.runs.delete(pid);
      });
    this.runs.set(pid, run);
  }

  private ended(pid: number, result: AgentRunResult): void {
    if (this.closing) return; // the kernel's shutdown says why
    this.exit(pid, result.outcome, result.reason);
  }

  /** The agent's program ended: the process exits, unless it already has (KILL, its shell died). Never throws. */
  private exit(pid: number, outcome: AgentRunResult['outcome'], reason: string): void {
    try {
      this.kernel.processes.exit(pid, {
        exitCode: OUTCOME_EXIT_CODES[outcome],
        reason,
        phase: outcome === 'completed' ? 'completed' : 'failed',
      });
    } catch (error) {
      if (isHabitatError(error) && error.code === 'E_CONFLICT') return;
      console.error(`[agents] process ${pid} could not exit:`, error);
    }
  }

  /** The settings a spawn uses: the person's choices in the store, and what the embedder gives (the app's keys). */
  private providerSettings(): ProviderSettings {
    // the person's choice is applied last: what the embedder gives (the app's Gemini key) never hides it
    // (a stored address this version would refuse is ignored, not handed to a client that would fail on it)
    const stored = this.kernel.store.setting(OLLAMA_HOST_SETTING);
    const ollamaHost = stored && !ollamaHostProblem(stored) ? stored : undefined;
    return { ...this.options.providerSettings?.(), ...(ollamaHost ? { ollamaHost } : {}) };
  }

  private provider(settings: AgentRunSettings): Provider {
    try {
      return createProvider(
        {
          ...this.providerSettings(),
          provider: settings.provider,
          ...(settings.model ? { model: settings.model } : {}),
        },
        this.env,
      );
    } catch (error) {
      if (isHabitatError(error)) throw error;
      throw new HabitatError('E_UNAVAILABLE', `the ${settings.provider} provider: ${message(error)}`);
    }
  }

  private memory(pid: number): HomeFileMemory {
    this.kernel.processes.get(pid);
    return new HomeFileMemory(this.kernel.fs(pid));
  }
}

function wire(request: ApprovalRequest): WireApprovalRequest {
  return { ...request, reasons: [...request.reasons] };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
