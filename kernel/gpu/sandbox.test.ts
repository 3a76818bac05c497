import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { containerCreateOptions, DEFAULT_CONTAINER_LIMITS } from '../docker/index.js';
import { detectBubblewrap, HostProvider, HostSandbox, scrubbedEnvironment } from '../sandbox/index.js';
import { nvidiaDeviceNodes } from './deviceNodes.js';

// How an agent's GPUs reach its sandbox: device nodes under bubblewrap, CUDA's environment on the host, device
// requests in a container's config.
const A = 'GPU-6b5c8f2e-3a1d-4e9b-9c7a-0f12d34e5a67';
const B = 'GPU-a41e07d3-8c2b-4f61-b5d9-7e3c2a1f0b84';
const dir = tempDir('habitat-gpu-nodes-');
afterAll(() => dir.cleanup());

/** A fake /dev and /proc/driver/nvidia/gpus: GPU A is minor 1 and B minor 0 (minors need not follow indexes). */
function fakeHost(): { dev: string; driver: string } {
  const dev = join(dir.path, 'dev');
  const driver = join(dir.path, 'driver');
  mkdirSync(dev, { recursive: true });
  for (const node of ['nvidiactl', 'nvidia-uvm', 'nvidia0', 'nvidia1']) writeFileSync(join(dev, node), '');
  for (const [bus, uuid, minor] of [
    ['0000:18:00.0', A, 1],
    ['0000:2a:00.0', B, 0],
  ] as const) {
    mkdirSync(join(driver, bus), { recursive: true });
    writeFileSync(
      join(driver, bus, 'information'),
      `Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 170\nGPU UUID: \t ${uuid}\nVideo BIOS: \t 96.00.74.00.01\n` +
        `Bus Type: \t PCIe\nBus Location: \t ${bus}\nDevice Minor: \t ${minor}\nGPU Excluded:\t No\n`,
    );
  }
  return { dev, driver };
}

describe('GPU device nodes', () => {
  it("are the control nodes and the agent's own GPUs, by the driver's minor numbers, only where they exist", () => {
    const roots = fakeHost();
    expect(nvidiaDeviceNodes([A], roots)).toEqual([
      join(roots.dev, 'nvidiactl'),
      join(roots.dev, 'nvidia-uvm'), // nvidia-uvm-tools and nvidia-modeset do not exist here
      join(roots.dev, 'nvidia1'),
    ]);
    expect(nvidiaDeviceNodes([B.toLowerCase(), A], roots).slice(2)).toEqual([
      join(roots.dev, 'nvidia0'),
      join(roots.dev, 'nvidia1'),
    ]);
  });

  it('are none for an agent without GPUs, and no GPU node where the driver cannot say which', () => {
    const roots = fakeHost();
    expect(nvidiaDeviceNodes([], roots)).toEqual([]);
    expect(nvidiaDeviceNodes([A], { dev: roots.dev, driver: join(dir.path, 'no-driver') })).toEqual([
      join(roots.dev, 'nvidiactl'),
      join(roots.dev, 'nvidia-uvm'),
    ]);
    expect(nvidiaDeviceNodes([A], { dev: join(dir.path, 'no-dev'), driver: roots.driver })).toEqual([]);
  });

  it('are bound into bubblewrap after its fresh /dev, skipping any that vanish', () => {
    const spec = {
      pid: 3,
      home: '/srv/homes/3',
      network: false,
      devices: ['/dev/nvidiactl', '/dev/nvidia1'],
    };
    // a bwrap path given is used as is, so the plan can be checked where bubblewrap is not installed
    const plan = (devices: string[]) =>
      new HostSandbox({ bubblewrap: '/usr/bin/bwrap' }).plan({ ...spec, devices }, ['true']).args;
    const args = plan(spec.devices);
    const dev = args.findIndex((arg, i) => arg === '--dev' && args[i + 1] === '/dev');
    expect(args.slice(dev + 2, dev + 8)).toEqual([
      '--dev-bind-try',
      '/dev/nvidiactl',
      '/dev/nvidiactl',
      '--dev-bind-try',
      '/dev/nvidia1',
      '/dev/nvidia1',
    ]);
    expect(plan([])).not.toContain('--dev-bind-try');
  });

  const bwrap = detectBubblewrap();
  // a host device that bubblewrap's own /dev does not have, standing in for /dev/nvidia0
  const node = ['/dev/kmsg', '/dev/loop-control', '/dev/vga_arbiter'].find((path) => existsSync(path));
  it.skipIf(!bwrap || !node)(
    'really appear inside a bubblewrap sandbox, with CUDA told which GPUs',
    async () => {
      const home = join(dir.path, 'home');
      mkdirSync(home, { recursive: true });
      const provider = new HostProvider({ bubblewrap: bwrap });
      const script = `test -e ${node} && echo bound; echo "cuda=$CUDA_VISIBLE_DEVICES"; ls /dev | grep -c nvidia`;
      const run = async (devices: string[], gpus: string[]) => {
        const sandbox = await provider.create({ pid: 9, home, network: false, devices, gpus });
        return (await sandbox.exec(['sh', '-c', script], { timeoutMs: 10_000, maxOutputBytes: 4096 })).stdout;
      };
      expect(await run([node!, '/dev/nvidia-not-here'], [A])).toBe(`bound\ncuda=${A}\n0\n`);
      expect(await run([], [])).toBe('cuda=\n0\n');
    },
  );
});

describe('GPU environment', () => {
  const spec = { pid: 4, home: '/h', network: false };
  it('names exactly the agent’s GPUs for CUDA, hides all of them from an agent without, and is absent otherwise', () => {
    const env = scrubbedEnvironment({ ...spec, gpus: [A, B] }, '/home/agent');
    expect(env.CUDA_VISIBLE_DEVICES).toBe(`${A},${B}`);
    expect(env.NVIDIA_VISIBLE_DEVICES).toBe(`${A},${B}`);
    expect(scrubbedEnvironment({ ...spec, gpus: [] }, '/home/agent')).toMatchObject({
      CUDA_VISIBLE_DEVICES: '',
    });
    expect(scrubbedEnvironment({ ...spec, gpus: [] }, '/home/agent')).not.toHaveProperty(
      'NVIDIA_VISIBLE_DEVICES',
    );
    expect(scrubbedEnvironment(spec, '/home/agent')).not.toHaveProperty('CUDA_VISIBLE_DEVICES');
  });
});

describe('GPU device requests in the container config', () => {
  const resolved = {
    image: 'habitat/sandbox:base',
    limits: DEFAULT_CONTAINER_LIMITS,
    user: { uid: 1000, gid: 1000 },
    identity: { instance: 'unit', version: '1' },
  };
  const spec = { pid: 7, bootId: 'boot', home: '/srv/homes/7', network: false };

  it('ask the nvidia driver for exactly the allocated GPUs, by UUID', () => {
    const host = containerCreateOptions({ ...spec, gpus: [B] }, resolved).HostConfig!;
    expect(host.DeviceRequests).toEqual([{ Driver: 'nvidia', DeviceIDs: [B], Capabilities: [['gpu']] }]);
    expect(host.Privileged).toBe(false);
    expect(host.CapDrop).toEqual(['ALL']);
  });

  it('are absent for a container without GPUs', () => {
    expect(containerCreateOptions(spec, resolved).HostConfig).not.toHaveProperty('DeviceRequests');
    expect(containerCreateOptions({ ...spec, gpus: [] }, resolved).HostConfig).not.toHaveProperty(
      'DeviceRequests',
    );
  });
});
