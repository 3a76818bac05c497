// Which Node the `habitat` command needs. Run by an older one, Habitat's native modules can crash the process (Node 20
// dies with SIGSEGV starting `habitat serve`) instead of saying what is wrong: the command checks first.
import { readFileSync } from 'node:fs';

/** The lowest version package.json's engines allow ("22.12.0" from ">=22.12.0"); undefined if it names none. */
export function lowestNode(engines) {
  const match = /^\s*>=\s*v?(\d+)\.(\d+)\.(\d+)\s*$/.exec(engines ?? '');
  return match ? match.slice(1, 4).join('.') : undefined;
}

/**
 * Why `version` (as process.versions.node gives it) will not do for `engines`, with both versions; undefined when it
 * will, or when engines names no lowest version.
 */
export function nodeVersionProblem(version, engines) {
  const lowest = lowestNode(engines);
  if (lowest === undefined) return undefined;
  const have = version.split('.').map(Number);
  const need = lowest.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) > need[i]) return undefined;
    if ((have[i] ?? 0) < need[i]) {
      return {
        message: `Habitat needs Node.js ${lowest} or newer, and this is ${version}`,
        have: version,
        needs: lowest,
      };
    }
  }
  return undefined;
}

/** The problem with the running Node for this checkout's package.json, if any. */
export function runningNodeProblem() {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return nodeVersionProblem(process.versions.node, pkg.engines?.node);
}
