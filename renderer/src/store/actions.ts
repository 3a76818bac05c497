import type { ProcessInfo, Signal } from '../../../shared/protocol/index.js';
import { api, errorText } from './api.js';
import { kernel, notify } from './store.js';

const SIGNAL_VERB: Record<Signal, string> = {
  STOP: 'pause',
  CONT: 'resume',
  TERM: 'stop',
  KILL: 'kill',
  INT: 'interrupt',
  WINCH: 'resize',
};

/** Sends a signal and applies the answer at once (the event follows); a refusal becomes a notification. */
export async function sendSignal(agent: Pick<ProcessInfo, 'pid' | 'name'>, signal: Signal): Promise<boolean> {
  try {
    const info = await api().call('process.signal', { pid: agent.pid, signal });
    kernel.processChanges([info]);
    return true;
  } catch (error) {
    notify('error', `Could not ${SIGNAL_VERB[signal]} ${agent.name}`, errorText(error), agent.pid);
    return false;
  }
}

export const SIGNAL_ACTIONS = [
  {
    signal: 'STOP',
    label: 'Pause',
    icon: 'pause',
    help: 'Freeze it (SIGSTOP): its loop waits and its processes stop.',
  },
  { signal: 'CONT', label: 'Resume', icon: 'play', help: 'Let a paused agent run again (SIGCONT).' },
  {
    signal: 'INT',
    label: 'Interrupt',
    icon: 'x',
    help: 'Interrupt what its shell is running (SIGINT), like Ctrl+C.',
  },
  {
    signal: 'TERM',
    label: 'Stop',
    icon: 'stop',
    help: 'Ask it to end (SIGTERM); it is killed after a grace period.',
  },
  { signal: 'KILL', label: 'Kill', icon: 'zap', help: 'End it at once (SIGKILL), with everything it runs.' },
] as const;
