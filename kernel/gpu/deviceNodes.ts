import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DeviceNodeRoots {
  /** Where device nodes live (default /dev). */
  dev?: string;
  /** The driver's per-GPU folders, each with an `information` file (default /proc/driver/nvidia/gpus). */
  driver?: string;
}

/** Nodes every CUDA program opens besides its GPUs' own. */
const CONTROL_NODES = ['nvidiactl', 'nvidia-uvm', 'nvidia-uvm-tools', 'nvidia-modeset'];

/**
 * The host device nodes an agent needs for its GPUs (UUIDs), only those that exist: the control nodes and
 * /dev/nvidia<minor> of each of its GPUs, never another agent's. The minor number is not nvidia-smi's index, so it is
 * read from the driver's information files; where they cannot be read, none of the GPU nodes is given.
 */
export function nvidiaDeviceNodes(uuids: readonly string[], roots: DeviceNodeRoots = {}): string[] {
  if (uuids.length === 0) return [];
  const dev = roots.dev ?? '/dev';
  const minors = deviceMinors(roots.driver ?? '/proc/driver/nvidia/gpus');
  const gpuNodes = uuids.flatMap((uuid) => {
    const minor = minors.get(uuid.toLowerCase());
    return minor === undefined ? [] : [`nvidia${minor}`];
  });
  return [...CONTROL_NODES, ...gpuNodes].map((name) => join(dev, name)).filter((path) => existsSync(path));
}

/** UUID (lowercase) → device minor, from the driver's /proc files; empty where there is no driver. */
function deviceMinors(driverDir: string): Map<string, number> {
  const minors = new Map<string, number>();
  let entries: string[];
  try {
    entries = readdirSync(driverDir);
  } catch {
    return minors;
  }
  for (const entry of entries) {
    let text: string;
    try {
      text = readFileSync(join(driverDir, entry, 'information'), 'utf8');
    } catch {
      continue;
    }
    const uuid = /^GPU UUID:\s*(\S+)/m.exec(text)?.[1];
    const minor = /^Device Minor:\s*(\d+)/m.exec(text)?.[1];
    if (uuid && minor) minors.set(uuid.toLowerCase(), Number(minor));
  }
  return minors;
}
