import { Option } from 'commander';
import {
  SANDBOX_IMAGE_OF,
  type EventPayload,
  type ImageInfo,
  type ImageVariant,
} from '../../../shared/protocol/index.js';
import type { CliContext } from '../context.js';
import { formatBytes, formatDuration, table } from '../format.js';

/** A debootstrap build takes a minute or two on a good mirror; leave room for a slow one. */
const BUILD_TIMEOUT_MS = 30 * 60_000;

export function formatImages(images: ImageInfo[], now = Date.now()): string {
  return table(
    ['TAG', 'IMAGE ID', 'VARIANT', 'SIZE', 'CREATED'],
    images.map((image) => [
      image.tag,
      image.id.replace(/^sha256:/, '').slice(0, 12),
      image.variant || '-',
      formatBytes(image.sizeBytes),
      `${formatDuration(now - Date.parse(image.createdAt))} ago`,
    ]),
  );
}

/**
 * Which progress lines a person wants to see: every phase change and every line of the Docker build, but of
 * debootstrap's ~500 package lines only warnings, errors and one line per 5 percent.
 */
export function progressFilter(): (progress: EventPayload<'image.progress'>) => boolean {
  let phase = '';
  let shown = -Infinity;
  return ({ phase: next, message, percent }) => {
    const changed = next !== phase;
    phase = next;
    if (next !== 'debootstrap' || changed || /^[WE]:/.test(message)) {
      shown = percent ?? shown;
      return true;
    }
    if (percent === undefined || percent - shown < 5) return false;
    shown = percent;
    return true;
  };
}

export function formatProgress({ phase, message, percent }: EventPayload<'image.progress'>): string {
  const at = percent === undefined ? '    ' : `${String(Math.round(percent)).padStart(3)}%`;
  return `[${at}] ${phase.padEnd(11)} ${message}`;
}

export function registerImages(ctx: CliContext): void {
  const { program, print, withClient, io, globals } = ctx;
  const image = program.command('image').description('sandbox images for docker agents');

  image
    .command('build')
    .description(
      'build the sandbox image from Debian packages (debootstrap, docker import), no registry needed',
    )
    .addOption(
      new Option('--variant <variant>', 'base, or desktop for graphical agents (X, VNC, Chromium)')
        .choices(['base', 'desktop'])
        .default('base'),
    )
    .option(
      '--tag <tag>',
      "the image tag (default the variant's: habitat/sandbox:base, habitat/sandbox:desktop)",
    )
    .action(
      withClient(async (client, flags: { tag?: string; variant: ImageVariant }) => {
        const show = progressFilter();
        const tag = flags.tag ?? SANDBOX_IMAGE_OF[flags.variant];
        const ours = [tag, `${tag}:latest`];
        // Subscribed before the call, so the first lines are not missed.
        const unsubscribe = client.subscribe('image.progress', (payload) => {
          const progress = payload as EventPayload<'image.progress'>;
          if (!globals().json && ours.includes(progress.tag) && show(progress))
            io.out(formatProgress(progress));
        });
        try {
          const result = await client.call(
            'image.build',
            { tag, variant: flags.variant },
            { timeoutMs: BUILD_TIMEOUT_MS },
          );
          print(
            result,
            () =>
              `${result.tag} ${result.id.replace(/^sha256:/, '').slice(0, 12)} ${formatBytes(result.sizeBytes)}, ` +
              `built in ${formatDuration(result.durationMs)}`,
          );
        } finally {
          unsubscribe();
        }
      }),
    );

  image
    .command('ls')
    .description("list sandbox images on the kernel's Docker engine")
    .action(
      withClient(async (client) => {
        const { images } = await client.call('image.list', {});
        print(images, () => formatImages(images));
      }),
    );
}
