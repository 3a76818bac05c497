import type { HabitatApi } from '../../shared/client/index.js';

/**
 * The kernel events the tray's counts follow: a process was created, or its state, phase or exit changed. Named one
 * by one rather than 'process.*', which also matches process.log.<pid>: every line an agent logs would cross into
 * main and rebuild the tray menu (and the kernel would publish log events that nobody else watches).
 */
export const TRAY_TOPICS = ['process.spawned', 'process.changed'] as const;

export interface TrayFollowOptions {
  /** Rebuilds the tray from the kernel's process list. */
  refresh(): void;
  /** Every process.changed payload (notifications). */
  onChanged?(payload: unknown): void;
  /** A burst of changes rebuilds the tray once, this long after the first (default 250 ms). */
  delayMs?: number;
}

/** Keeps the tray up to date with the processes' changes; returns what stops it. */
export function followProcessesForTray(
  client: Pick<HabitatApi, 'subscribe'>,
  options: TrayFollowOptions,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = (): void => {
    timer ??= setTimeout(() => {
      timer = undefined;
      options.refresh();
    }, options.delayMs ?? 250);
  };
  const offs = TRAY_TOPICS.map((topic) =>
    client.subscribe(topic, (payload) => {
      if (topic === 'process.changed') options.onChanged?.(payload);
      schedule();
    }),
  );
  return () => {
    clearTimeout(timer);
    timer = undefined;
    for (const off of offs) off();
  };
}
