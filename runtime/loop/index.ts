// The parts of AgentLoop (../AgentLoop.ts) that are ideas of their own: running a step's tool calls.
export { EVENT_OUTPUT_CHARS, type LoopEvent } from './loopEvents.js';
export { interrupted, ToolCalls, type ToolCallLoop, type ToolCallOptions } from './toolCalls.js';
