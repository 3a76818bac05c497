import type { AgentEvent } from '../events.js';

/** Text of a tool result or a thought kept in events; the model gets the whole text. */
export const EVENT_OUTPUT_CHARS = 8000;

/** An event as the loop's parts hand it to the loop, which stamps it with the time and the step. */
export type LoopEvent = DistributiveOmit<AgentEvent, 'at' | 'step'>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
