// Sandbox images: built from Debian packages where no registry is reachable, listed, and required at spawn.
export type { ImageBuildProgress, ImageBuildResult, ImageInfo } from '../../shared/protocol/image.js';
export {
  DEFAULT_SANDBOX_IMAGE,
  DESKTOP_SANDBOX_IMAGE,
  ROOTFS_IMAGE,
  rootfsImage,
  SANDBOX_IMAGE_OF,
} from './constants.js';
export { findSandboxDockerfile, sandboxPackages } from './dockerfile.js';
export { buildSandboxImage, ensureSandboxImage, type SandboxImageOptions } from './build.js';
export { ImageBuilds } from './builds.js';
export { listSandboxImages, requireImage, missingImageMessage, normalizeTag } from './inventory.js';
export { detectDebianMirror, DEFAULT_DEBIAN_MIRROR } from './mirror.js';
