import { z } from 'zod';
import { MEMORY_MAX_CHARS } from '../memory/index.js';
import { defineTool, type Tool } from './types.js';

export const think = defineTool({
  name: 'think',
  description: 'Think out loud: plan, weigh options or note what you learned. Changes nothing.',
  parameters: z.object({ thought: z.string().min(1).max(20_000) }),
  harmless: true,
  handler: () => 'noted',
});

export const complete = defineTool({
  name: 'complete',
  description:
    'Finish: call this once the goal is done (or cannot be done), with a summary for the person who set it. ' +
    'Set success: false if you could not achieve the goal, and say why.',
  parameters: z.object({
    summary: z.string().min(1).max(20_000).describe('What you did and what came of it'),
    success: z.boolean().optional().describe('Whether the goal was achieved (default true)'),
  }),
  harmless: true,
  handler(args, ctx) {
    ctx.complete(args.summary, args.success ?? true);
    return 'finished';
  },
});

export const memory = defineTool({
  name: 'memory',
  description:
    'Your persistent notes, shown to you at the start of every run: add a line, replace or remove text, or set them all. ' +
    `Keep them short (at most ${MEMORY_MAX_CHARS} characters): facts worth remembering next time.`,
  parameters: z.object({
    action: z.enum(['add', 'replace', 'remove', 'set']),
    text: z.string().max(MEMORY_MAX_CHARS).describe('The note to add, the new text, or the text to remove'),
    old: z.string().optional().describe('For replace: the exact text to replace'),
  }),
  harmless: true,
  async handler(args, ctx) {
    if (!ctx.memory) return { content: 'this agent has no memory configured', isError: true };
    const notes = await ctx.memory.read();
    let next: string;
    switch (args.action) {
      case 'add':
        next = notes && !notes.endsWith('\n') ? `${notes}\n${args.text}\n` : `${notes}${args.text}\n`;
        break;
      case 'set':
        next = args.text;
        break;
      case 'remove':
        if (!notes.includes(args.text)) return { content: 'that text is not in your notes', isError: true };
        next = notes.replace(args.text, '').replace(/\n{3,}/g, '\n\n');
        break;
      case 'replace':
        if (!args.old || !notes.includes(args.old))
          return { content: 'old must be text that is in your notes', isError: true };
        next = notes.replace(args.old, () => args.text);
        break;
    }
    if (next.length > MEMORY_MAX_CHARS) {
      return {
        content: `your notes would be ${next.length} characters, over the ${MEMORY_MAX_CHARS} limit: shorten them`,
        isError: true,
      };
    }
    await ctx.memory.write(next);
    ctx.memoryChanged(next);
    return { content: `notes saved (${next.length} characters)`, data: { notes: next } };
  },
});

export const controlTools: Tool[] = [think, complete];

export const askHuman = defineTool({
  name: 'ask_human',
  description:
    'Ask a person a question and wait for the answer: for what only they know (a password a command prompts ' +
    'for, a choice that is theirs, missing facts). Ask one clear question; you get their answer as text.',
  parameters: z.object({ question: z.string().min(1).max(2000).describe('The question, in full') }),
  // it changes nothing, and waiting for a person is the point: no approval is asked for asking
  harmless: true,
  async handler({ question }, ctx) {
    if (!ctx.ask)
      return { content: 'no person can be asked here: decide yourself, or explain', isError: true };
    const reply = await ctx.ask(question);
    return reply.answered
      ? { content: `the person answered: ${reply.answer}`, data: { answered: true, answer: reply.answer } }
      : {
          content: `no answer: ${reply.reason}`,
          data: { answered: false, reason: reply.reason },
          isError: true,
        };
  },
});
