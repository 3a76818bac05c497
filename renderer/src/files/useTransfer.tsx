import { useCallback, useEffect, useRef, useState } from 'react';
import { formatBytes } from '../../../shared/format.js';
import { Button } from '../ui/Button.js';

/** A download or an upload under way: what it moves now and how far it is. */
export interface Transfer {
  verb: 'Downloading' | 'Uploading';
  name: string;
  done: number;
  total: number;
}

export type Progress = (done: number, total: number, name?: string) => void;

/**
 * One transfer at a time, with its progress and a way to stop it. `run` gives the work a progress callback and an
 * AbortSignal it checks between chunks (a call already sent finishes; nothing after it is asked for). Leaving the
 * view stops it too.
 */
export function useTransfer() {
  const [transfer, setTransfer] = useState<Transfer | null>(null);
  const controller = useRef<AbortController | null>(null);
  useEffect(() => () => controller.current?.abort(), []);

  const run = useCallback(
    async <T,>(
      start: Transfer,
      work: (progress: Progress, signal: AbortSignal) => Promise<T>,
    ): Promise<T> => {
      const abort = new AbortController();
      controller.current = abort;
      setTransfer(start);
      try {
        return await work((done, total, name) => {
          if (!abort.signal.aborted) setTransfer((t) => t && { ...t, done, total, name: name ?? t.name });
        }, abort.signal);
      } finally {
        if (controller.current === abort) controller.current = null;
        setTransfer(null);
      }
    },
    [],
  );
  const cancel = useCallback(() => controller.current?.abort(), []);
  return { transfer, run, cancel };
}

/** The transfer's line in the toolbar: a bar, how much of how much, and Cancel. */
export function TransferLine({ transfer, onCancel }: { transfer: Transfer; onCancel(): void }) {
  const label = `${transfer.verb} ${transfer.name}`;
  return (
    <div className="files-transfer" data-testid="file-transfer">
      <progress max={Math.max(transfer.total, 1)} value={transfer.done} aria-label={label} />
      {/* announced once; the byte count changes too often to be read out */}
      <span role="status">{label}</span>
      <span className="muted files-transfer-bytes">
        {formatBytes(transfer.done)} of {formatBytes(transfer.total)}
      </span>
      <Button size="sm" onClick={onCancel}>
        Cancel
      </Button>
    </div>
  );
}
