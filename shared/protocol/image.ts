import { z } from 'zod';
import { command, event } from './define.js';

/** The image a docker sandbox runs when the spawn names none, and the one `habitat image build` builds. */
export const DEFAULT_SANDBOX_IMAGE = 'habitat/sandbox:base';

/** The sandbox image's variants: a shell and the usual tools, or that plus an X desktop (graphical agents). */
export const ImageVariantSchema = z.enum(['base', 'desktop']);
export type ImageVariant = z.infer<typeof ImageVariantSchema>;

/** The image a graphical agent runs when the spawn names none: Xvfb, x11vnc, a window manager, xdotool, Chromium. */
export const DESKTOP_SANDBOX_IMAGE = 'habitat/sandbox:desktop';

/** The tag each variant is built as by default. */
export const SANDBOX_IMAGE_OF: Record<ImageVariant, string> = {
  base: DEFAULT_SANDBOX_IMAGE,
  desktop: DESKTOP_SANDBOX_IMAGE,
};

/**
 * A local image reference, `name[:tag]` with lowercase path components. No registry host: sandbox images are
 * built on this machine, never pulled.
 */
export const ImageTagSchema = z
  .string()
  .max(200)
  .regex(
    /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::\w[\w.-]{0,127})?$/,
    'an image tag like habitat/sandbox:base',
  );

export const ImageInfoSchema = z.object({
  tag: z.string(),
  id: z.string(),
  sizeBytes: z.number().nonnegative(),
  createdAt: z.string(),
  /** The dev.habitat.variant label: base, desktop, … */
  variant: z.string(),
});
export type ImageInfo = z.infer<typeof ImageInfoSchema>;

export const ImageBuildPhaseSchema = z.enum(['check', 'debootstrap', 'import', 'build', 'done']);
export type ImageBuildPhase = z.infer<typeof ImageBuildPhaseSchema>;

export const ImageBuildProgressSchema = z.object({
  phase: ImageBuildPhaseSchema,
  message: z.string(),
  /** Rough share of the whole build done, 0..100. */
  percent: z.number().min(0).max(100).optional(),
});
export type ImageBuildProgress = z.infer<typeof ImageBuildProgressSchema>;

export const ImageBuildResultSchema = ImageInfoSchema.extend({ durationMs: z.number().nonnegative() });
export type ImageBuildResult = z.infer<typeof ImageBuildResultSchema>;

export const imageCommands = {
  'image.list': command({
    description: 'Sandbox images on the Docker engine (labelled dev.habitat.image=sandbox).',
    args: z.object({}).strict(),
    result: z.object({ images: z.array(ImageInfoSchema) }),
  }),
  'image.build': command({
    description:
      'Builds the sandbox image from Debian packages (debootstrap, docker import, the sandbox Dockerfile), ' +
      'with no registry needed. Takes minutes; progress arrives as image.progress events.',
    args: z
      .object({
        /** Default: the variant's own tag (habitat/sandbox:base, habitat/sandbox:desktop). */
        tag: ImageTagSchema.optional(),
        variant: ImageVariantSchema.default('base'),
      })
      .strict(),
    result: ImageBuildResultSchema,
  }),
};

export const imageEvents = {
  'image.progress': event({
    description: 'Progress of an image build: its phase, a line of output and a rough percent.',
    payload: ImageBuildProgressSchema.extend({ tag: z.string() }),
    // A slow reader keeps the latest line and percent per build rather than losing the final ones.
    coalesceBy: 'tag',
  }),
};
