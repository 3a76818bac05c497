import { randomBytes } from 'node:crypto';
import type { SnapshotProgress } from '../../shared/protocol/index.js';

const INTERVAL_MS = 100;

/**
 * Reports a long operation's progress at most every 100 ms (phase changes and the end at once), so a snapshot of
 * thousands of files sends a few dozen events, not thousands.
 */
export class Progress {
  readonly opId = `op-${randomBytes(6).toString('hex')}`;
  private last = 0;
  private phase = '';

  constructor(
    private readonly base: Pick<SnapshotProgress, 'op' | 'pid' | 'snapshot'>,
    private readonly emit: (progress: SnapshotProgress) => void,
  ) {}

  report(
    phase: string,
    done: number,
    total: number | null,
    bytes: number,
    options: { force?: boolean; message?: string; snapshot?: string } = {},
  ): void {
    const now = Date.now();
    const changed = phase !== this.phase;
    if (!changed && !options.force && now - this.last < INTERVAL_MS && (total === null || done < total))
      return;
    this.phase = phase;
    this.last = now;
    this.emit({
      opId: this.opId,
      ...this.base,
      ...(options.snapshot ? { snapshot: options.snapshot } : {}),
      phase,
      done,
      total,
      bytes,
      ...(options.message ? { message: options.message } : {}),
    });
  }
}
