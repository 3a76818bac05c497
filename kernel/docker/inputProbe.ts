import type Dockerode from 'dockerode';
import type { DockerEngine } from './DockerEngine.js';
import { runExec } from './containerExec.js';
import { TAG_VARIABLE } from './execStream.js';

/**
 * Prints yes when a process whose environment carries the tag ($0) sleeps in read, pread64 or readv on a terminal
 * (what /proc/<pid>/syscall says: the syscall and its fd), no when none does, unknown on an architecture it does not
 * know. Pure bash, run as the agent's user, which may read exactly its own processes' /proc entries.
 */
const PROBE_SCRIPT = `
case "$(uname -m)" in
  x86_64) reads=" 0 17 19 " ;;
  aarch64) reads=" 63 67 65 " ;;
  *) echo unknown; exit 0 ;;
esac
for d in /proc/[0-9]*; do
  [ "\${d#/proc/}" = "$$" ] && continue
  mine=
  while IFS= read -r -d '' e; do
    [ "$e" = "${TAG_VARIABLE}=$0" ] && { mine=1; break; }
  done 2>/dev/null < "$d/environ"
  [ -n "$mine" ] || continue
  read -r nr fd _ 2>/dev/null < "$d/syscall" || continue
  case "$reads" in *" $nr "*) ;; *) continue ;; esac
  case "$(readlink "$d/fd/$((fd))" 2>/dev/null)" in /dev/pts/*|/dev/tty*|/dev/console) echo yes; exit 0 ;; esac
done
echo no`;

/** Whether a program Habitat started in the container (by its tag) waits for typed input; undefined if unknown. */
export async function readingInputTagged(
  engine: DockerEngine,
  container: Dockerode.Container,
  tag: string,
): Promise<boolean | undefined> {
  const result = await runExec(engine, container, ['bash', '-c', PROBE_SCRIPT, tag], {
    timeoutMs: engine.timeoutMs,
    maxOutputBytes: 64,
  });
  const answer = result.stdout.trim();
  return answer === 'yes' ? true : answer === 'no' ? false : undefined;
}
