import { dirname, basename } from 'node:path';
import type Dockerode from 'dockerode';
import { HabitatError } from '../../shared/protocol/index.js';
import { abortedError, withDocker } from './errors.js';
import { readJsonLines } from './jsonLines.js';

export interface DockerfileBuildOptions {
  dockerfile: string;
  tag: string;
  buildargs?: Record<string, string>;
  /** 'none' where no registry or mirror is reachable: every step must work offline. */
  networkmode?: string;
  signal?: AbortSignal;
  onLine?(line: string): void;
}

/**
 * Builds one Dockerfile whose context is the Dockerfile alone, with the classic builder (the one every engine
 * has), and returns the image id. An error in the build's stream fails it with the step's own message.
 */
export async function buildDockerfile(docker: Dockerode, options: DockerfileBuildOptions): Promise<string> {
  const { dockerfile, tag, buildargs, networkmode, signal, onLine } = options;
  if (signal?.aborted) throw abortedError(signal, 'docker build');
  const name = basename(dockerfile);
  try {
    const stream = await withDocker('docker build', () =>
      docker.buildImage(
        { context: dirname(dockerfile), src: [name] },
        { t: tag, dockerfile: name, buildargs, networkmode, rm: true, forcerm: true, abortSignal: signal },
      ),
    );
    let id = '';
    const log: string[] = [];
    await readJsonLines(stream, (message) => {
      if (message.error || message.errorDetail) {
        const reason = message.errorDetail?.message ?? message.error ?? 'unknown error';
        throw new HabitatError('E_INTERNAL', `docker build of ${tag} failed: ${reason}`, {
          log: log.slice(-20),
        });
      }
      if (message.aux?.ID) id = message.aux.ID;
      for (const line of (message.stream ?? message.status ?? '').split('\n')) {
        const text = line.trimEnd();
        if (!text) continue;
        log.push(text);
        onLine?.(text);
        const built = /^Successfully built ([0-9a-f]+)$/.exec(text);
        if (built?.[1] && !id) id = built[1];
      }
    });
    if (!id)
      throw new HabitatError('E_INTERNAL', `docker build of ${tag} reported no image id`, {
        log: log.slice(-20),
      });
    return id;
  } catch (error) {
    if (signal?.aborted) throw abortedError(signal, 'docker build');
    throw error;
  }
}
