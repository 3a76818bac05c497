// Which Node the `habitat` command needs. Run by an older one, Habitat's native modules can crash the process (Node 20
// dies with SIGSEGV starting `habitat serve`) instead of saying what is wrong: the command checks first. Written to
// parse on old Nodes too (no ?? or ?.), so that they get the message rather than a SyntaxError.
import { readFileSync } from 'node:fs';

/** The lowest version package.json's engines allow ("22.12.0" from ">=22.12.0"); undefined if it names none. */
export function lowestNode(engines) {
  const match = /^\s*>=\s*v?(\d+)\.(\d+)\.(\d+)\s*$/.exec(engines || '');
  return match ? match.slice(1, 4).join('.') : undefined;
}

/**
 * Why `version` (as process.versions.node gives it) will not do for `engines`, with both versions; undefined when it
 * will, or when engines names no lowest version. A pre-release (22.12.0-rc.1) comes before its release.
 */
export function nodeVersionProblem(version, engines) {
  const lowest = lowestNode(engines);
  if (lowest === undefined) return undefined;
  const [release, preRelease] = String(version).split('-');
  const have = release.split('.').map((part) => parseInt(part, 10) || 0);
  const need = lowest.split('.').map(Number);
  const refused = {
    message: `Habitat needs Node.js ${lowest} or newer, and this is ${version}`,
    have: version,
    needs: lowest,
  };
  for (let i = 0; i < 3; i++) {
    const part = have[i] === undefined ? 0 : have[i];
    if (part > need[i]) return undefined;
    if (part < need[i]) return refused;
  }
  return preRelease === undefined ? undefined : refused;
}

/** Where a Debian or Ubuntu user gets the right Node, said with every refusal. */
export const ENSURE_NODE_HINT =
  'on Debian or Ubuntu, `eval "$(bash scripts/ensure-node.sh)"` in the Habitat folder provides it';

/** The lowest Node this checkout's package.json allows, if it names one. */
export function requiredNode() {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return pkg.engines ? pkg.engines.node : undefined;
}

/** The problem with the running Node for this checkout's package.json, if any. */
export function runningNodeProblem() {
  return nodeVersionProblem(process.versions.node, requiredNode());
}
