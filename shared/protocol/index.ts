import type { z } from 'zod';
import type { CommandSpec, EventSpec } from './define.js';
import { processCommands, processEvents } from './process.js';
import { ptyCommands, ptyEvents } from './pty.js';
import { fsCommands, fsEvents } from './fs.js';
import { imageCommands, imageEvents } from './image.js';
import { gpuCommands, gpuEvents } from './gpu.js';
import { appCommands, appEvents } from './app.js';
import { agentCommands, agentEvents } from './agent.js';
import { systemCommands, systemEvents } from './system.js';
import { snapshotCommands, snapshotEvents } from './snapshot.js';
import { workspaceCommands, workspaceEvents } from './workspace.js';
import { msgCommands, msgEvents } from './msg.js';
import { pluginCommands, pluginEvents } from './plugin.js';
import { vncCommands, vncEvents } from './vnc.js';

export * from './errors.js';
export * from './define.js';
export * from './wire.js';
export * from './frames.js';
export * from './system.js';
export * from './process.js';
export * from './pty.js';
export * from './fs.js';
export * from './image.js';
export * from './gpu.js';
export * from './app.js';
export * from './agent.js';
export * from './snapshot.js';
export * from './workspace.js';
export * from './msg.js';
export * from './plugin.js';
export * from './vnc.js';

/** Every command, by name. The schemas are the single source of truth; types below are inferred from them. */
export const commands = {
  ...systemCommands,
  ...processCommands,
  ...ptyCommands,
  ...fsCommands,
  ...imageCommands,
  ...gpuCommands,
  ...appCommands,
  ...agentCommands,
  ...snapshotCommands,
  ...workspaceCommands,
  ...msgCommands,
  ...pluginCommands,
  ...vncCommands,
} as const satisfies Record<string, CommandSpec>;

export const events = {
  ...systemEvents,
  ...processEvents,
  ...ptyEvents,
  ...fsEvents,
  ...imageEvents,
  ...gpuEvents,
  ...appEvents,
  ...agentEvents,
  ...snapshotEvents,
  ...workspaceEvents,
  ...msgEvents,
  ...pluginEvents,
  ...vncEvents,
} as const satisfies Record<string, EventSpec>;

export type Commands = typeof commands;
export type CommandName = keyof Commands;
export type CommandArgs<N extends CommandName> = z.input<Commands[N]['args']>;
export type ParsedArgs<N extends CommandName> = z.output<Commands[N]['args']>;
export type CommandResult<N extends CommandName> = z.output<Commands[N]['result']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]['payload']>;

export const COMMAND_NAMES = Object.keys(commands) as CommandName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commands, name);
}

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(events, name);
}

/** The spec of the event published on a topic, scoped topics included (process.log.12 is a process.log). */
export function eventSpecForTopic(topic: string): EventSpec | undefined {
  for (let name = topic; name.includes('.'); name = name.slice(0, name.lastIndexOf('.'))) {
    if (isEventName(name)) return events[name];
  }
  return undefined;
}
