import type Dockerode from 'dockerode';
import { ImageTagSchema, type ImageInfo } from '../../shared/protocol/image.js';
import { HabitatError } from '../../shared/protocol/index.js';
import { DEFAULT_SANDBOX_IMAGE, DESKTOP_SANDBOX_IMAGE } from './constants.js';
import { dockerError, statusCodeOf, withDocker } from './errors.js';

export const SANDBOX_LABEL = 'dev.habitat.image';
export const VARIANT_LABEL = 'dev.habitat.variant';

/** Validates a tag and makes the implicit `:latest` explicit, the way Docker reads it. */
export function normalizeTag(tag: string): string {
  const parsed = ImageTagSchema.safeParse(tag);
  if (!parsed.success) throw new HabitatError('E_INVALID', `not an image tag: ${tag}`);
  return /:[^/]+$/.test(tag) ? tag : `${tag}:latest`;
}

/** The image behind a tag, or undefined when the engine has no such tag. */
export async function findImage(docker: Dockerode, tag: string): Promise<ImageInfo | undefined> {
  try {
    const inspect = await docker.getImage(tag).inspect();
    return {
      tag,
      id: inspect.Id,
      sizeBytes: inspect.Size,
      createdAt: new Date(inspect.Created).toISOString(),
      variant: inspect.Config?.Labels?.[VARIANT_LABEL] ?? '',
    };
  } catch (error) {
    if (statusCodeOf(error) === 404) return undefined;
    throw dockerError(error, `inspect image ${tag}`);
  }
}

/** Every tagged image labelled dev.habitat.image=sandbox, one entry per tag, newest first. */
export async function listSandboxImages(docker: Dockerode): Promise<ImageInfo[]> {
  const images = await withDocker('list images', () =>
    docker.listImages({ filters: { label: [`${SANDBOX_LABEL}=sandbox`] } }),
  );
  return images
    .flatMap((image) =>
      (image.RepoTags ?? [])
        .filter((tag) => tag !== '<none>:<none>')
        .map((tag) => ({
          tag,
          id: image.Id,
          sizeBytes: image.Size,
          createdAt: new Date(image.Created * 1000).toISOString(),
          variant: image.Labels?.[VARIANT_LABEL] ?? '',
        })),
    )
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.tag.localeCompare(b.tag));
}

/** Fails with E_NOT_FOUND, saying how to build it, when the engine lacks the image. */
export async function requireImage(docker: Dockerode, tag: string): Promise<void> {
  const reference = normalizeTag(tag);
  if (await findImage(docker, reference)) return;
  throw new HabitatError('E_NOT_FOUND', missingImageMessage(reference), { tag: reference });
}

export function missingImageMessage(tag: string): string {
  const desktop = tag === DESKTOP_SANDBOX_IMAGE;
  const option = tag === DEFAULT_SANDBOX_IMAGE ? '' : desktop ? ' --variant desktop' : ` --tag ${tag}`;
  const buildArg = desktop ? ' --build-arg VARIANT=desktop' : '';
  return (
    `the sandbox image ${tag} does not exist on this Docker engine: build it with ` +
    `\`habitat image build${option}\` (from Debian packages, no registry needed), or where a registry is ` +
    `reachable \`docker build${buildArg} -t ${tag} resources/sandbox\``
  );
}
