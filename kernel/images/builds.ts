import type Dockerode from 'dockerode';
import type { ImageBuildResult } from '../../shared/protocol/image.js';
import { HabitatError } from '../../shared/protocol/index.js';
import { buildSandboxImage, type SandboxImageOptions } from './build.js';

/**
 * The kernel's image builds. A build runs on if its caller goes (the image is shared), but not past the kernel:
 * close() aborts those under way (debootstrap's process group, the import, the Docker build) and waits until each
 * has cleaned up, so a host that stops leaves no debootstrap running and no half-built rootfs behind.
 */
export class ImageBuilds {
  private readonly closing = new AbortController();
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly docker: Dockerode) {}

  build(options: SandboxImageOptions = {}): Promise<ImageBuildResult> {
    if (this.closing.signal.aborted) {
      return Promise.reject(new HabitatError('E_UNAVAILABLE', 'the kernel is shutting down'));
    }
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.closing.signal])
      : this.closing.signal;
    const build = buildSandboxImage(this.docker, { ...options, signal });
    this.running.add(build);
    void build.then(
      () => this.running.delete(build),
      () => this.running.delete(build),
    );
    return build;
  }

  async close(): Promise<void> {
    this.closing.abort(
      new HabitatError('E_UNAVAILABLE', 'the kernel is shutting down: the image build stopped'),
    );
    await Promise.allSettled(this.running);
  }
}
