export { DEFAULT_SANDBOX_IMAGE } from '../../shared/protocol/image.js';

/** The Debian release the sandbox image is built from, and the plain rootfs image it is imported as. */
export const DEBIAN_SUITE = 'bookworm';
export const ROOTFS_IMAGE = { repo: 'habitat/sandbox-rootfs', tag: DEBIAN_SUITE } as const;
