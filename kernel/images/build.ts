import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import type {
  ImageBuildPhase,
  ImageBuildProgress,
  ImageBuildResult,
  ImageInfo,
  ImageVariant,
} from '../../shared/protocol/image.js';
import { HabitatError } from '../../shared/protocol/index.js';
import { DEBIAN_SUITE, rootfsImage, SANDBOX_IMAGE_OF } from './constants.js';
import { DebootstrapProgress, requireDebootstrap, runDebootstrap } from './debootstrap.js';
import { buildDockerfile } from './dockerBuild.js';
import { findSandboxDockerfile, sandboxPackages } from './dockerfile.js';
import { withDocker } from './errors.js';
import { findImage, normalizeTag } from './inventory.js';
import { detectDebianMirror, validateMirror } from './mirror.js';
import { importRootfs, removeTree, slimRootfs } from './rootfs.js';
import { makeWorkDir } from './workDirs.js';

export interface SandboxImageOptions {
  /** base (default) or desktop: the Dockerfile's VARIANT, and which package lists debootstrap installs. */
  variant?: ImageVariant;
  /** Default the variant's tag: habitat/sandbox:base or habitat/sandbox:desktop. */
  tag?: string;
  /** Default: HABITAT_DEBIAN_MIRROR, else the machine's apt mirror, else deb.debian.org. */
  mirror?: string;
  onProgress?(progress: ImageBuildProgress): void;
  /** Aborting stops debootstrap (its whole process group), the import or the build, and cleans up. */
  signal?: AbortSignal;
  /** Where the temporary rootfs goes (default the OS temp folder); it must allow device nodes (not nodev). */
  workDir?: string;
}

/** Overall percent at which each phase starts: debootstrap dominates (a minute or more), the rest takes seconds. */
const PHASE_START: Record<ImageBuildPhase, number> = {
  check: 0,
  debootstrap: 2,
  import: 80,
  build: 90,
  done: 100,
};

/** About how many packages debootstrap installs per variant (minbase and the lists): its first stage's guess. */
const EXPECTED_PACKAGES: Record<ImageVariant, number> = { base: 110, desktop: 420 };

/** Builds in flight in this process, by tag: a second build of a tag conflicts, an ensure joins the first. */
const inFlight = new Map<string, Promise<ImageBuildResult>>();

/**
 * Builds the sandbox image with no registry: debootstrap a minbase Debian with the variant's packages from the
 * Dockerfile, import it as habitat/sandbox-rootfs:bookworm (bookworm-desktop for the desktop), then build
 * resources/sandbox/Dockerfile FROM it with VARIANT set and no network.
 */
export function buildSandboxImage(
  docker: Dockerode,
  options: SandboxImageOptions = {},
): Promise<ImageBuildResult> {
  const tag = normalizeTag(options.tag ?? SANDBOX_IMAGE_OF[options.variant ?? 'base']);
  if (inFlight.has(tag)) {
    return Promise.reject(new HabitatError('E_CONFLICT', `${tag} is already being built`));
  }
  const build = runBuild(docker, tag, options).finally(() => inFlight.delete(tag));
  inFlight.set(tag, build);
  return build;
}

/** The image behind the tag, building it first only when the engine lacks it. */
export async function ensureSandboxImage(
  docker: Dockerode,
  options: SandboxImageOptions = {},
): Promise<ImageInfo> {
  const tag = normalizeTag(options.tag ?? SANDBOX_IMAGE_OF[options.variant ?? 'base']);
  const report = reporter(options.onProgress);
  report('check', `looking for ${tag}`);
  const running = inFlight.get(tag);
  if (running) {
    report('check', `${tag} is being built; waiting for it`);
    return withoutDuration(await running);
  }
  const existing = await findImage(docker, tag);
  if (existing) {
    report('done', `${tag} exists (${existing.id.slice(7, 19)})`, 100);
    return existing;
  }
  return withoutDuration(await buildSandboxImage(docker, { ...options, tag }));
}

async function runBuild(
  docker: Dockerode,
  tag: string,
  options: SandboxImageOptions,
): Promise<ImageBuildResult> {
  const started = Date.now();
  const { signal } = options;
  const report = reporter(options.onProgress);

  report('check', 'checking the Docker engine, debootstrap and the Debian mirror');
  await withDocker('ping the Docker engine', () => docker.ping());
  requireDebootstrap();
  const mirror = options.mirror ? validateMirror(options.mirror) : detectDebianMirror();
  const variant = options.variant ?? 'base';
  const dockerfile = findSandboxDockerfile();
  const packages = sandboxPackages(dockerfile, variant);
  const rootfsRef = rootfsImage(variant);
  const rootfs = `${rootfsRef.repo}:${rootfsRef.tag}`;

  const previousRootfs = await findImage(docker, rootfs);
  let rootfsId: string;
  const workDir = await makeWorkDir(options.workDir ?? tmpdir());
  try {
    // debootstrap creates the target itself, 0755: the mkdtemp folder is 0700 and would become the image's /.
    const target = join(workDir, 'rootfs');
    report('debootstrap', `debootstrap ${DEBIAN_SUITE} minbase + ${packages.join(', ')} from ${mirror}`);
    const progress = new DebootstrapProgress(EXPECTED_PACKAGES[variant]);
    await runDebootstrap({
      target,
      mirror,
      suite: DEBIAN_SUITE,
      packages,
      signal,
      onLine: (line) => report('debootstrap', line, scale('debootstrap', progress.feed(line))),
    });
    report('import', 'removing package caches, manuals and translations from the rootfs');
    slimRootfs(target);
    report('import', `importing the rootfs as ${rootfs}`, 82);
    rootfsId = await importRootfs(docker, target, rootfsRef, signal);
    report('import', `imported ${rootfs} (${rootfsId.slice(7, 19)})`, 88);
  } finally {
    await removeTree(workDir);
  }

  report('build', `building ${tag} from ${dockerfile} with BASE=${rootfs} VARIANT=${variant}, no network`);
  await buildDockerfile(docker, {
    dockerfile,
    tag,
    buildargs: { BASE: rootfs, VARIANT: variant },
    networkmode: 'none',
    signal,
    onLine: (line) => report('build', line, buildPercent(line)),
  });
  const info = await findImage(docker, tag);
  if (!info) throw new HabitatError('E_INTERNAL', `${tag} is missing right after its build`);
  if (previousRootfs && previousRootfs.id !== rootfsId) await removeIfUnused(docker, previousRootfs.id);
  const durationMs = Date.now() - started;
  report('done', `built ${tag} (${info.id.slice(7, 19)}) in ${(durationMs / 1000).toFixed(1)} s`, 100);
  return { ...info, durationMs };
}

/**
 * Drops the rootfs a rebuild replaced, so rebuilds do not pile up 100 MB layers. The engine refuses (and we
 * ignore) while an image built FROM it still exists.
 */
async function removeIfUnused(docker: Dockerode, id: string): Promise<void> {
  await docker
    .getImage(id)
    .remove({ noprune: false })
    .catch(() => undefined);
}

/** Reports progress with a percent that never goes back; a listener that throws never breaks the build. */
function reporter(onProgress: SandboxImageOptions['onProgress']) {
  let percent = 0;
  return (phase: ImageBuildPhase, message: string, at?: number): void => {
    percent = Math.min(100, Math.max(percent, at ?? PHASE_START[phase]));
    try {
      onProgress?.({ phase, message, percent });
    } catch {
      // the listener's problem, not the build's
    }
  };
}

/** A phase-local percent (0..100) as a share of the whole build. */
function scale(phase: 'debootstrap' | 'build', local: number | undefined): number | undefined {
  if (local === undefined) return undefined;
  const end = phase === 'debootstrap' ? PHASE_START.import : PHASE_START.done - 1;
  return Math.round(PHASE_START[phase] + ((end - PHASE_START[phase]) * local) / 100);
}

function buildPercent(line: string): number | undefined {
  const step = /^Step (\d+)\/(\d+)/.exec(line);
  return step?.[1] && step[2] ? scale('build', (100 * (Number(step[1]) - 1)) / Number(step[2])) : undefined;
}

function withoutDuration({ durationMs: _, ...info }: ImageBuildResult): ImageInfo {
  return info;
}
