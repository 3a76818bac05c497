import type { ImageVariant } from '../../shared/protocol/image.js';

export {
  DEFAULT_SANDBOX_IMAGE,
  DESKTOP_SANDBOX_IMAGE,
  SANDBOX_IMAGE_OF,
} from '../../shared/protocol/image.js';

/** The Debian release the sandbox image is built from, and the plain rootfs image it is imported as. */
export const DEBIAN_SUITE = 'bookworm';
export const ROOTFS_IMAGE = { repo: 'habitat/sandbox-rootfs', tag: DEBIAN_SUITE } as const;

/** The rootfs each variant's offline build imports: its own, so building one variant never replaces the other's. */
export function rootfsImage(variant: ImageVariant): { repo: string; tag: string } {
  return variant === 'base' ? ROOTFS_IMAGE : { repo: ROOTFS_IMAGE.repo, tag: `${DEBIAN_SUITE}-${variant}` };
}
