import { constants } from 'node:os';
import type Dockerode from 'dockerode';
import { HabitatError } from '../../shared/protocol/index.js';
import type { DockerEngine } from './DockerEngine.js';
import { runExec } from './containerExec.js';
import { TAG_VARIABLE } from './execStream.js';

/**
 * Signals, inside the container, every process whose environment carries the tag (any tag when empty), itself
 * excepted, and prints how many. Pure bash, so any image with a shell works; it runs as the agent's user, which may
 * signal exactly the agent's own processes. Arguments, never interpolated: $0 the signal, $1 the tag.
 */
const SIGNAL_SCRIPT = `
send() {
  n=0
  for d in /proc/[0-9]*; do
    [ "\${d#/proc/}" = "$$" ] && continue
    while IFS= read -r -d '' e; do
      case $e in
        ${TAG_VARIABLE}=*)
          if [ -z "$2" ] || [ "$e" = "${TAG_VARIABLE}=$2" ]; then kill -s "$1" "\${d#/proc/}" && n=$((n+1)); fi
          break;;
      esac
    done 2>/dev/null < "$d/environ"
  done 2>/dev/null
}
# KILL freezes everything first: killed one by one, a parent could run on for a moment after its child died
[ "$0" = KILL ] && send STOP "$1"
send "$0" "$1"
echo "$n"`;

/** 'SIGTERM' or 'TERM' to 'TERM', or E_INVALID. '0' only probes. */
export function signalName(signal: string): string {
  if (signal === '0') return '0';
  const full = signal.startsWith('SIG') ? signal : `SIG${signal}`;
  if (!Object.hasOwn(constants.signals, full))
    throw new HabitatError('E_INVALID', `unknown signal ${signal}`);
  return full.slice(3);
}

/**
 * Sends a signal to the programs Habitat started in the container (all of them, or those of one terminal or
 * command) and returns how many processes got it; the container's own PID 1 and keep-alive process never do.
 * E_CONFLICT while the container is paused: CONT it first.
 */
export async function signalTagged(
  engine: DockerEngine,
  container: Dockerode.Container,
  signal: string,
  tag = '',
): Promise<number> {
  const name = signalName(signal);
  const result = await runExec(engine, container, ['bash', '-c', SIGNAL_SCRIPT, name, tag], {
    timeoutMs: engine.timeoutMs,
    maxOutputBytes: 64,
  });
  return Number.parseInt(result.stdout, 10) || 0;
}
