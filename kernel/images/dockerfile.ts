import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HabitatError } from '../../shared/protocol/index.js';

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
 * The packages the Dockerfile installs (its `packages="..."` line): debootstrap includes the same ones, so the
 * offline build needs no network in the Dockerfile step. One list, in the Dockerfile.
 */
export function sandboxPackages(dockerfile: string): string[] {
  const match = /packages="([^"]+)"/.exec(readFileSync(dockerfile, 'utf8'));
  const packages = match?.[1]?.split(/\s+/).filter(Boolean) ?? [];
  if (packages.length === 0) {
    throw new HabitatError(
      'E_INTERNAL',
      `${dockerfile} has no packages="..." line to read the package list from`,
    );
  }
  return packages;
}
