import type { z } from 'zod';

export interface CommandSpec<A extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly description: string;
  readonly args: A;
  readonly result: R;
}

export interface EventSpec<P extends z.ZodType = z.ZodType> {
  readonly description: string;
  readonly payload: P;
  /**
   * How a consumer that reads too slowly gets this event. With coalesceBy, never lost: only the latest payload per
   * entity is kept until it catches up (the payload field naming the entity, e.g. 'pid', or '*' for one latest
   * value). Without it, the event is dropped and the consumer is told how many it missed (bridge.dropped).
   */
  readonly coalesceBy?: string;
}

export function command<A extends z.ZodType, R extends z.ZodType>(
  spec: CommandSpec<A, R>,
): CommandSpec<A, R> {
  return spec;
}

export function event<P extends z.ZodType>(spec: EventSpec<P>): EventSpec<P> {
  return spec;
}
