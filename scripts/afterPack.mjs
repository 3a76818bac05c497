// electron-builder afterPack hook: node-pty starts shells through its spawn-helper, which must be executable in the
// unpacked native modules, or every terminal fails to start on macOS and Linux.
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findSpawnHelpers(dir, found = []) {
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) findSpawnHelpers(path, found);
    else if (entry === 'spawn-helper') found.push(path);
  }
  return found;
}

export default async function afterPack(context) {
  if (context.electronPlatformName === 'win32') return;
  const resources =
    context.electronPlatformName === 'darwin'
      ? join(context.appOutDir, `${context.packager.appInfo.productFilename}.app`, 'Contents', 'Resources')
      : join(context.appOutDir, 'resources');
  const helpers = findSpawnHelpers(join(resources, 'app.asar.unpacked', 'node_modules', 'node-pty'));
  if (helpers.length === 0) throw new Error('node-pty spawn-helper not found in app.asar.unpacked');
  for (const helper of helpers) chmodSync(helper, 0o755);
}
