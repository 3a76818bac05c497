import type { Duplex } from 'node:stream';
import Dockerode from 'dockerode';
import { HabitatError } from '../../shared/protocol/index.js';
import { dockerError } from './errors.js';
import { PauseGate } from './pauseGate.js';

type Pem = string | Buffer;

/** Where a Docker engine listens: the local socket, a TCP port (with TLS unless on loopback), or SSH. */
export type DockerEndpoint =
  | { socketPath: string }
  | { host: string; port: number; tls?: { ca: Pem; cert: Pem; key: Pem } }
  | { ssh: { host: string; port?: number; username: string; privateKey?: Pem; agent?: string } };

export interface DockerEngineOptions {
  /** How the engine is named in messages and system.info; default derived from the client's address. */
  name?: string;
  /** Deadline of one API call (default 10 s): a hung daemon must never hang the kernel. */
  timeoutMs?: number;
  /** Deadline of ping() (default 2 s). */
  pingTimeoutMs?: number;
}

/**
 * One Docker engine (local or remote) behind a dockerode client. Every call goes through call(), which bounds it
 * with a deadline and turns any failure into a HabitatError.
 */
export class DockerEngine {
  readonly name: string;
  readonly timeoutMs: number;
  private readonly pingTimeoutMs: number;
  /** Hijacked exec connections by container id, open now (see cutExecs). */
  private readonly execSockets = new Map<string, Set<Duplex>>();
  /** Containers this client removed, most recent last: an exec started while one was removed is cut at once. */
  private readonly removed = new Set<string>();
  /** Pauses kept out of exec starts (see PauseGate): this client's only, so every exec and pause goes through it. */
  readonly pauseGate = new PauseGate();

  constructor(
    readonly docker: Dockerode,
    options: DockerEngineOptions = {},
  ) {
    this.name = options.name ?? describeClient(docker);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 2_000;
  }

  /** A client for an endpoint description (what a sandbox host setting stores). */
  static connect(endpoint: DockerEndpoint, options: DockerEngineOptions = {}): DockerEngine {
    if ('socketPath' in endpoint) {
      return new DockerEngine(new Dockerode({ socketPath: endpoint.socketPath }), {
        name: `unix://${endpoint.socketPath}`,
        ...options,
      });
    }
    if ('ssh' in endpoint) {
      const { host, port, username, privateKey, agent } = endpoint.ssh;
      const client = new Dockerode({
        protocol: 'ssh',
        host,
        port: port ?? 22,
        username,
        sshOptions: { ...(privateKey ? { privateKey } : {}), ...(agent ? { agent } : {}) },
      });
      return new DockerEngine(client, { name: `ssh://${username}@${host}:${port ?? 22}`, ...options });
    }
    const { host, port, tls } = endpoint;
    const client = new Dockerode(
      tls ? { protocol: 'https', host, port, ca: tls.ca, cert: tls.cert, key: tls.key } : { host, port },
    );
    return new DockerEngine(client, { name: `${tls ? 'https' : 'http'}://${host}:${port}`, ...options });
  }

  /** Resolves when the engine answers; otherwise E_UNAVAILABLE within the ping deadline. */
  async ping(timeoutMs = this.pingTimeoutMs): Promise<void> {
    // dockerode takes the signal here too; its types do not say so
    const ping = this.docker.ping.bind(this.docker) as (options: {
      abortSignal: AbortSignal;
    }) => Promise<unknown>;
    await this.call('answer a ping', (abortSignal) => ping({ abortSignal }), timeoutMs);
  }

  /**
   * Runs one API call with a deadline: the signal aborts the request (pass it to dockerode as abortSignal) and
   * the caller gets E_UNAVAILABLE at the deadline even if the client ignores it.
   */
  /** Keeps an exec's hijacked connection on record until it closes, so cutExecs can end it. */
  trackExec(containerId: string, socket: Duplex): void {
    if (this.removed.has(containerId)) {
      socket.destroy();
      return;
    }
    let open = this.execSockets.get(containerId);
    if (!open) this.execSockets.set(containerId, (open = new Set()));
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      if (open.size === 0 && this.execSockets.get(containerId) === open) this.execSockets.delete(containerId);
    });
  }

  /**
   * Ends the exec connections of a removed container. The engine keeps them open long after their programs died
   * with the container (minutes, seen here), and each open one would keep the kernel's process from exiting.
   */
  cutExecs(containerId: string): void {
    for (const socket of this.execSockets.get(containerId) ?? []) socket.destroy();
    this.execSockets.delete(containerId);
    this.removed.add(containerId);
    this.pauseGate.drop(containerId);
    if (this.removed.size > 1024) this.removed.delete(this.removed.values().next().value!);
  }

  async call<T>(
    doing: string,
    run: (abortSignal: AbortSignal) => Promise<T>,
    timeoutMs = this.timeoutMs,
  ): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new HabitatError(
          'E_UNAVAILABLE',
          `the Docker engine ${this.name} did not ${doing} within ${timeoutMs} ms`,
        );
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    try {
      return await Promise.race([run(controller.signal), deadline]);
    } catch (error) {
      throw dockerError(controller.signal.aborted ? controller.signal.reason : error, doing, this.name);
    } finally {
      clearTimeout(timer);
    }
  }
}

function describeClient(docker: Dockerode): string {
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  if (typeof modem.host === 'string') {
    return `${String(modem.protocol ?? 'http')}://${modem.host}${modem.port ? `:${String(modem.port)}` : ''}`;
  }
  if (typeof modem.socketPath === 'string') return `unix://${modem.socketPath}`;
  return 'unix:///var/run/docker.sock'; // docker-modem finds the default socket lazily: this one, or DOCKER_HOST's
}
