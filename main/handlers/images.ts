import type Dockerode from 'dockerode';
import { listSandboxImages, normalizeTag, SANDBOX_IMAGE_OF, type ImageBuilds } from '../../kernel/index.js';
import type { EventPayload } from '../../shared/protocol/index.js';
import type { Handlers } from '../bridge/index.js';

export interface ImageEventSink {
  emit(topic: 'image.progress', payload: EventPayload<'image.progress'>): void;
}

/**
 * Sandbox images on the kernel's Docker engine. A build runs to its end even if the caller disconnects (the image
 * is shared), but not past the kernel's close (see ImageBuilds); a second build of the same tag while one runs
 * answers E_CONFLICT.
 */
export function imageHandlers(docker: Dockerode, builds: ImageBuilds, events: ImageEventSink): Handlers {
  return {
    'image.list': async () => ({ images: await listSandboxImages(docker) }),
    'image.build': ({ tag: requested, variant }) => {
      // Events carry the tag as the result will name it (`name` becomes `name:latest`).
      const tag = normalizeTag(requested ?? SANDBOX_IMAGE_OF[variant]);
      return builds.build({
        tag,
        variant,
        onProgress: (progress) => events.emit('image.progress', { tag, ...progress }),
      });
    },
  };
}
