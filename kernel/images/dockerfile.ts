import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HabitatError, type ImageVariant } from '../../shared/protocol/index.js';

const RELATIVE = join('resources', 'sandbox', 'Dockerfile');

/**
 * resources/sandbox/Dockerfile, found by walking up from this module: the same code runs from source (kernel/images/)
 * and bundled (out/main/). HABITAT_RESOURCES names the resources folder where neither applies (a packaged app).
 */
export function findSandboxDockerfile(env: NodeJS.ProcessEnv = process.env): string {
  const candidates: string[] = [];
  if (env.HABITAT_RESOURCES) candidates.push(join(env.HABITAT_RESOURCES, 'sandbox', 'Dockerfile'));
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    candidates.push(join(dir, RELATIVE));
    if (dirname(dir) === dir) break;
  }
  candidates.push(resolve(RELATIVE));
  const found = candidates.find((file) => existsSync(file));
  if (!found)
    throw new HabitatError(
      'E_UNAVAILABLE',
      `the sandbox Dockerfile (${RELATIVE}) is missing from this install`,
    );
  return found;
}

/**
 * The packages the Dockerfile installs for a variant (its `packages="..."` line, plus `desktop_packages="..."` for
 * the desktop): debootstrap includes the same ones, so the offline build needs no network in the Dockerfile step.
 * One list, in the Dockerfile.
 */
export function sandboxPackages(dockerfile: string, variant: ImageVariant = 'base'): string[] {
  const text = readFileSync(dockerfile, 'utf8');
  const list = (name: string): string[] => {
    const match = new RegExp(`(?:^|[\\s;])${name}="([^"]+)"`).exec(text);
    const packages = match?.[1]?.split(/\s+/).filter(Boolean) ?? [];
    if (packages.length === 0) {
      throw new HabitatError(
        'E_INTERNAL',
        `${dockerfile} has no ${name}="..." line to read the package list from`,
      );
    }
    return packages;
  };
  const base = list('packages');
  return variant === 'desktop' ? [...new Set([...base, ...list('desktop_packages')])] : base;
}
