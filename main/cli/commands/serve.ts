import { Option } from 'commander';
import { defaultDataDir } from '../../../kernel/datadir/index.js';
import type { EngineConfig } from '../../../kernel/index.js';
import { DEFAULT_PORT, LOOPBACK } from '../../host/defaults.js';
import type { HeadlessHost } from '../../host/HeadlessHost.js';
import { hostTokenProblem } from '../../host/token.js';
import { HabitatError } from '../../../shared/protocol/index.js';
import { HABITAT_VERSION } from '../../version.js';
import { EXIT, type CliContext } from '../context.js';

/** How long `serve` waits for the kernel to stop its agents on SIGINT/SIGTERM before it exits regardless. */
const SHUTDOWN_DEADLINE_MS = 30_000;

export function registerServe({ program, io, globals, reportError }: CliContext): void {
  const usage = (message: string): void => reportError(new HabitatError('E_INVALID', message), EXIT.usage);
  program
    .command('serve')
    .description('run the kernel headless and serve the UI and the bridge on one origin')
    .addOption(new Option('--host <address>', 'address to bind').default(LOOPBACK))
    .addOption(new Option('--port <port>', 'port (0 picks a free one)').default(String(DEFAULT_PORT)))
    .addOption(
      new Option(
        '--warm-pool <n>',
        'containers kept ready for the default image, filled at start (default: 2, filled after the first container spawn)',
      ),
    )
    .addOption(
      new Option(
        '--docker-engine <name=url>',
        'another Docker engine for container agents (repeatable): unix:///sock, tcp://host:2376?tls=/certs, ssh://user@host; &homes=/path where that host sees the homes folder',
      )
        .argParser((value: string, previous: string[] = []) => [...previous, value])
        .default([]),
    )
    .action(async (flags: { host: string; port: string; warmPool?: string; dockerEngine: string[] }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        usage(`--port must be 0..65535, not ${flags.port}`);
        return;
      }
      const poolSize = flags.warmPool === undefined ? undefined : Number(flags.warmPool);
      if (poolSize !== undefined && !(Number.isInteger(poolSize) && poolSize >= 0 && poolSize <= 32)) {
        usage(`--warm-pool must be 0..32, not ${flags.warmPool}`);
        return;
      }
      // a configuration error like a bad flag: an empty or weak token must not start a host anyone could drive
      const token = process.env.HABITAT_TOKEN;
      const weak = token === undefined ? undefined : hostTokenProblem(token, 'HABITAT_TOKEN');
      if (weak) {
        usage(`${weak}; or unset HABITAT_TOKEN for a random one`);
        return;
      }
      // loaded here, not at the top: every other verb is a client and starts without the kernel
      const [{ DEFAULT_SANDBOX_IMAGE, parseEngineSpec }, { startHeadlessHost }] = await Promise.all([
        import('../../../kernel/index.js'),
        import('../../host/HeadlessHost.js'),
      ]);
      let dockerEngines: EngineConfig[];
      try {
        dockerEngines = flags.dockerEngine.map(parseEngineSpec);
      } catch (error) {
        usage(`--docker-engine: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      const dataDir = globals().dataDir ?? defaultDataDir();
      // Listen for signals before anything is printed: a supervisor may signal as soon as it reads the URL.
      let stopSignal: NodeJS.Signals | undefined;
      let onStop: ((signal: NodeJS.Signals) => void) | undefined;
      const stop = (signal: NodeJS.Signals): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        stopSignal = signal;
        onStop?.(signal);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      let host: HeadlessHost;
      try {
        host = await startHeadlessHost({
          host: flags.host,
          port,
          dataDir,
          token,
          dockerEngines,
          warmPool:
            poolSize === undefined
              ? undefined
              : { size: poolSize, prefill: poolSize > 0 ? [DEFAULT_SANDBOX_IMAGE] : [] },
        });
      } catch (error) {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        const message = error instanceof Error ? error.message : String(error);
        reportError(new HabitatError('E_UNAVAILABLE', message), EXIT.unavailable);
        return;
      }
      const info = host.habitat.kernel.info();
      if (globals().json) {
        io.out(
          JSON.stringify({
            url: host.url,
            wsUrl: host.wsUrl,
            port: host.port,
            token: host.token,
            dataDir,
            pid: process.pid,
          }),
        );
      } else {
        io.out(`Habitat ${HABITAT_VERSION} (headless) serving at ${host.url}`);
        io.out(`  data folder ${dataDir}`);
        if (flags.host !== LOOPBACK && flags.host !== 'localhost') {
          io.err(
            `warning: listening on ${flags.host}: anyone who can reach it and holds the token controls your agents`,
          );
        }
      }
      for (const warning of info.warnings ?? []) io.err(`warning: ${warning}`);
      const signal = stopSignal ?? (await new Promise<NodeJS.Signals>((resolve) => (onStop = resolve)));
      if (!globals().json) io.out(`received ${signal}, shutting down`);
      // a shutdown that hangs (a Docker call that never answers) must not keep the port and the terminal forever
      const deadline = setTimeout(() => {
        reportError(
          new HabitatError(
            'E_TIMEOUT',
            `shutdown still not done after ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting anyway`,
          ),
          EXIT.error,
        );
        process.exit(EXIT.error);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      await host.close();
      clearTimeout(deadline);
    });
}
