// What the launchers (npm start, npm run serve) share: the Node flags for a process that hosts the kernel, and
// running a child whose signals and exit are the launcher's own.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/**
 * Node flags for a process that hosts the kernel. On a machine of one or two CPUs V8 collects garbage on the main
 * thread alone: its concurrent and parallel helpers (four threads) compete with the kernel's own thread for those
 * CPUs, and on a 2-vCPU machine doing without them cut the host's CPU per MiB of terminal output by about a fifth,
 * with no loss in keystroke echo. Where there are more CPUs the helpers run beside it, and V8's defaults stay.
 * HABITAT_GC=single or HABITAT_GC=parallel chooses.
 */
export function hostNodeFlags(env = process.env, cpus = availableParallelism()) {
  const choice = env.HABITAT_GC === 'single' || env.HABITAT_GC === 'parallel' ? env.HABITAT_GC : undefined;
  return (choice ?? (cpus <= 2 ? 'single' : 'parallel')) === 'single' ? ['--single-threaded-gc'] : [];
}

/** Runs `command`, passing on SIGINT and SIGTERM, and exits as it does. */
export function run(command, args) {
  const child = spawn(command, args, { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return child;
}

/** Runs `habitat serve` with `args` as a kernel host: its Node flags, its signals and exit the launcher's own. */
export function runServe(args) {
  return run(process.execPath, [
    ...hostNodeFlags(),
    join(import.meta.dirname, '..', 'bin', 'habitat.mjs'),
    'serve',
    ...args,
  ]);
}
