// Makes sure a sandbox image exists on the local Docker engine, building it from Debian packages when it is
// missing (CI runs this before the tests).
// Usage: npx tsx scripts/build-sandbox-image.ts [--variant base|desktop] [--tag T] [--force]
import Docker from 'dockerode';
import { ImageVariantSchema } from '../shared/protocol/index.js';
import { buildSandboxImage, ensureSandboxImage, SANDBOX_IMAGE_OF } from '../kernel/images/index.js';

const args = process.argv.slice(2);
const valueOf = (flag: string): string | undefined => {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
};
const variant = ImageVariantSchema.parse(valueOf('--variant') ?? 'base');
const tag = valueOf('--tag') ?? SANDBOX_IMAGE_OF[variant];
const force = args.includes('--force');

const docker = new Docker();
let lastPhase = '';
const options = {
  tag,
  variant,
  onProgress: ({ phase, message, percent }: { phase: string; message: string; percent?: number }) => {
    // Every line of the Docker build, but only phase changes and warnings of debootstrap's ~500 lines.
    const quiet =
      phase === 'debootstrap' &&
      phase === lastPhase &&
      !/^[WE]:/.test(message) &&
      !/^I: (Base|Configuring the)/.test(message);
    lastPhase = phase;
    if (!quiet) console.log(`[${String(percent ?? '').padStart(3)}%] ${phase}: ${message}`);
  },
};

try {
  const info = force ? await buildSandboxImage(docker, options) : await ensureSandboxImage(docker, options);
  console.log(`${info.tag} ${info.id.slice(7, 19)} ${(info.sizeBytes / 1e6).toFixed(0)} MB`);
} catch (error) {
  console.error(`build-sandbox-image: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
