import { ProviderError } from './errors.js';
import { GOAL_HELP, parseGoal, type PlannedAction } from './heuristicGoals.js';
import { mintCallId } from './ids.js';
import {
  LOOP_NOTE_PREFIX,
  type ChatMessage,
  type ChatRequest,
  type ChatResponse,
  type Provider,
} from './types.js';

const REPORT_CHARS = 4000;

/**
 * The offline planner: the default when no model is configured. It reads the goal (the latest user message) with
 * parseGoal, then each turn emits the next planned tool call, one per turn, and finally `complete` with a report
 * built from what the tools returned. It is stateless: where it stands is read off the conversation, so a resumed
 * agent carries on. It stops at the first failed step and says so, and when it understands nothing it completes
 * at once with an explanation instead of looping.
 */
export class HeuristicProvider implements Provider {
  readonly name = 'heuristic';
  readonly model = 'planner-v1';
  readonly supportsImages = false;

  async chat(request: ChatRequest): Promise<ChatResponse> {
    if (request.signal?.aborted) throw new ProviderError('aborted', 'the request was cancelled', this.name);
    const turn = this.next(request);
    if (turn.text) request.onText?.(turn.text);
    const inputChars = request.system.length + request.messages.reduce((n, m) => n + m.content.length, 0);
    return {
      ...turn,
      usage: {
        inputTokens: Math.ceil(inputChars / 4),
        outputTokens: Math.ceil((turn.text.length + JSON.stringify(turn.toolCalls).length) / 4),
      },
      finishReason: 'stop',
    };
  }

  private next(request: ChatRequest): Pick<ChatResponse, 'text' | 'toolCalls'> {
    const available = new Set(request.tools.map((t) => t.name));
    const goalAt = request.messages.findLastIndex(
      (m) => m.role === 'user' && !m.content.startsWith(LOOP_NOTE_PREFIX),
    );
    const goal = goalAt === -1 ? '' : request.messages[goalAt]!.content;
    const since = request.messages.slice(goalAt + 1);
    const done = since.filter((m) => m.role === 'assistant' && m.toolCalls?.length);
    const results = since.filter((m): m is Extract<ChatMessage, { role: 'tool' }> => m.role === 'tool');
    const plan = parseGoal(goal);

    const finish = (summary: string, success: boolean) => {
      if (!available.has('complete')) return { text: summary, toolCalls: [] };
      return {
        text: summary,
        toolCalls: [{ id: mintCallId(), name: 'complete', args: { summary, success } }],
      };
    };

    if (plan.actions.length === 0) {
      return finish(
        `I could not work out what to do from the goal${goal ? `: "${clipText(goal, 200)}"` : ' (there is none)'}. ` +
          `I am the offline planner and understand requests such as: ${GOAL_HELP.join('; ')}. ` +
          'Configure a language model (Gemini or Ollama) for anything else.',
        false,
      );
    }
    const failed = results.find((r) => r.isError);
    if (failed) {
      const index = results.indexOf(failed);
      const action = plan.actions[index];
      return finish(
        `${report(plan.actions.slice(0, index), results)}` +
          `Step ${index + 1} (${action ? describe(action) : failed.name}) failed: ${clipText(failed.content, 500)}. I stopped there.`,
        false,
      );
    }
    const step = done.length;
    const action = plan.actions[step];
    if (action) {
      if (!available.has(action.tool)) {
        return finish(
          `Step ${step + 1} (${describe(action)}) needs the ${action.tool} tool, which this agent does not have.`,
          false,
        );
      }
      return {
        text: `Step ${step + 1} of ${plan.actions.length}: ${describe(action)}.`,
        toolCalls: [{ id: mintCallId(), name: action.tool, args: action.args }],
      };
    }
    const skipped = plan.unknown.length
      ? `I did not understand, so did not do: ${plan.unknown.map((u) => `"${clipText(u, 120)}"`).join(', ')}.`
      : '';
    return finish(`${report(plan.actions, results)}${skipped}`.trim() || 'Done.', plan.unknown.length === 0);
  }
}

function describe(action: PlannedAction): string {
  switch (action.tool) {
    case 'write_file':
      return action.args.append ? `append to ${action.args.path}` : `write ${action.args.path}`;
    case 'read_file':
      return `read ${action.args.path}`;
    case 'edit_file':
      return `edit ${action.args.path}`;
    case 'list_files':
      return `list ${action.args.path === '.' ? 'the home folder' : action.args.path}`;
    case 'mkdir':
      return `create the folder ${action.args.path}`;
    case 'run_command':
      return `run \`${clipText(action.args.command, 200)}\``;
  }
}

/** What each step did; outputs of reads, listings and commands are quoted so the report shows them. */
function report(
  actions: readonly PlannedAction[],
  results: readonly Extract<ChatMessage, { role: 'tool' }>[],
): string {
  const lines = actions.map((action, i) => {
    const result = results[i]?.content ?? '(no result)';
    const quoted =
      action.tool === 'read_file' || action.tool === 'list_files' || action.tool === 'run_command';
    return quoted
      ? `${i + 1}. ${describe(action)}:\n${clipText(result, REPORT_CHARS)}`
      : `${i + 1}. ${describe(action)}: ${clipText(result, 300)}`;
  });
  return lines.length ? `Done:\n${lines.join('\n')}\n` : '';
}

function clipText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
