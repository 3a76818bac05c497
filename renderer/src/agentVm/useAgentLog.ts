import { useEffect, useRef, useState } from 'react';
import type { LogEntry } from '../../../shared/protocol/index.js';
import { api, errorText } from '../store/api.js';
import { useHabitat } from '../store/store.js';
import { mergeEntries } from './logs.js';

const HISTORY = 1000;
const KEEP = 5000;

/**
 * An agent's log: the latest entries from the kernel's event log, then live process.log.<pid> events. After a
 * reconnect it asks for what came after the last entry it has, so the timeline has no hole.
 */
export function useAgentLog(pid: number): { entries: LogEntry[]; error: string | null; loading: boolean } {
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const connection = useHabitat((s) => s.connection);
  const last = useRef({ pid, seq: -1 });

  useEffect(() => {
    if (last.current.pid === pid) return;
    last.current = { pid, seq: -1 };
    setEntries([]);
    setLoading(true);
  }, [pid]);

  useEffect(() => {
    if (connection !== 'open') return;
    let disposed = false;
    let live: LogEntry[] = [];
    let ready = false;
    const add = (incoming: LogEntry[]) => {
      if (incoming.length === 0 || disposed) return;
      last.current.seq = Math.max(last.current.seq, ...incoming.map((e) => e.seq));
      setEntries((current) => mergeEntries(current, incoming, KEEP));
    };
    const off = api().subscribe(`process.log.${pid}`, (payload) => {
      const entry = payload as LogEntry;
      if (ready) add([entry]);
      else live.push(entry); // history is on its way: these go after it
    });
    const after = last.current.seq;
    const args = after >= 0 ? { pid, after, limit: KEEP } : { pid, limit: HISTORY };
    api()
      .call('process.logs', args)
      .then(
        ({ entries: history }) => {
          if (disposed) return;
          ready = true;
          add([...history, ...live].sort((a, b) => a.seq - b.seq));
          live = [];
          setError(null);
        },
        (e: unknown) => {
          if (disposed) return;
          ready = true;
          add(live);
          setError(errorText(e));
        },
      )
      .finally(() => !disposed && setLoading(false));
    return () => {
      disposed = true;
      off();
    };
  }, [pid, connection]);

  return { entries, error, loading };
}
