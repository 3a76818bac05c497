// The kernel's utility process and how main talks to it (see host.ts).
export { answerAppCommand, forwardAppCommands } from './appCommands.js';
export { hostKernel, type ParentPortLike } from './host.js';
export { KernelMessageSchema, MainMessageSchema, type KernelMessage, type MainMessage } from './messages.js';
