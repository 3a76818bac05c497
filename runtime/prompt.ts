import type { ApprovalPolicy } from './approvals/index.js';

export interface PromptInput {
  name?: string;
  role?: string;
  goal: string;
  notes: string;
  policy: ApprovalPolicy;
  maxSteps: number;
  tools: readonly string[];
  /** Extra instructions from whoever spawned the agent. */
  instructions?: string;
}

/** The system prompt: who the agent is, where it lives, how to work, and its memory. Rebuilt every step. */
export function systemPrompt(input: PromptInput): string {
  const lines = [
    `You are ${input.name ?? 'an agent'}, an autonomous AI agent running inside Habitat, a desktop operating system for AI agents.`,
    input.role ? `Your role: ${input.role}` : '',
    `Your goal: ${input.goal}`,
    '',
    'You live in a sandboxed Linux machine. Your home folder is /home/agent: file tools take paths relative to it ' +
      "(e.g. 'notes/todo.md'), and commands start there. Nothing outside the home is yours to change.",
    `Work in steps: think briefly, call tools, read their results, and go on. You have at most ${input.maxSteps} steps.`,
    `Your tools: ${input.tools.join(', ')}.`,
    'When the goal is done, call complete with a short summary of what you did and found. If it cannot be done, call ' +
      'complete with success: false and say why. Do not stop without calling complete.',
    input.policy === 'never'
      ? ''
      : input.policy === 'always'
        ? 'Every action that changes something waits for a person to approve it.'
        : 'Dangerous actions (recursive deletes, running downloaded code, writing outside your home, ...) wait for a person to approve them.',
    input.policy === 'never'
      ? ''
      : 'If an action is denied, do not try to get around the refusal: find another way or explain.',
    input.instructions ?? '',
    '',
    'Your memory (notes you keep across runs; change them with the memory tool):',
    input.notes.trim() ? `<memory>\n${input.notes.trim()}\n</memory>` : '(empty)',
  ];
  return lines
    .filter((line, i, all) => line !== '' || (all[i - 1] !== '' && i > 0))
    .join('\n')
    .trim();
}
