import type { z } from 'zod';

export interface CommandSpec<A extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly description: string;
  readonly args: A;
  readonly result: R;
}

export interface EventSpec<P extends z.ZodType = z.ZodType> {
  readonly description: string;
  readonly payload: P;
}

export function command<A extends z.ZodType, R extends z.ZodType>(
  spec: CommandSpec<A, R>,
): CommandSpec<A, R> {
  return spec;
}

export function event<P extends z.ZodType>(spec: EventSpec<P>): EventSpec<P> {
  return spec;
}
