// Helpers for the tests against a real Docker daemon: the image, a sandbox with its own instance label, agent homes
// made the way the kernel makes them, and a cleanup that removes every container the test file created.
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { createHome } from '../../fs/index.js';
import { ensureSandboxImage } from '../../images/index.js';
import type { PtyProcess } from '../../pty/index.js';
import { removeUnusedAgentNetworks } from '../agentNetwork.js';
import { ContainerAgent } from '../ContainerAgent.js';
import type { ContainerSpec } from '../containerConfig.js';
import { DockerEngine } from '../DockerEngine.js';
import { DockerSandbox } from '../DockerSandbox.js';
import { listManaged } from '../reconcile.js';

/**
 * The one switch for the tests' image: the real sandbox image (kernel/images builds it when missing, a minute or
 * two), or a development image made by hand: `debootstrap --variant=minbase --include=bash,coreutils,procps
 * bookworm /tmp/rootfs && tar -C /tmp/rootfs -c . | docker import - habitat/dev-rootfs`, then a Dockerfile FROM it
 * that adds the user agent (uid 1000) with CMD sleep infinity, built with `docker build --network none`.
 */
const TEST_IMAGE: 'sandbox' | 'dev' = 'sandbox';
const DEV_IMAGE = 'habitat/dev-sandbox:latest';

/** How long a beforeAll may take when the sandbox image has to be built first. */
export const IMAGE_BUILD_TIMEOUT_MS = 600_000;

export async function testImage(docker: Dockerode): Promise<string> {
  if (TEST_IMAGE === 'sandbox') return (await ensureSandboxImage(docker)).tag;
  await docker.getImage(DEV_IMAGE).inspect();
  return DEV_IMAGE;
}

export interface Testbed {
  engine: DockerEngine;
  sandbox: DockerSandbox;
  instance: string;
  image: string;
  bootId: string;
  /** A fresh agent home, made by the kernel's own createHome (root-owned, 0700, when the tests run as root). */
  home(pid: number): Promise<string>;
  /** Creates and starts an agent's container. */
  agent(pid: number, spec?: Partial<ContainerSpec>): Promise<ContainerAgent>;
  /** Removes every container and network of this testbed's instance, and the homes. */
  cleanup(): Promise<void>;
}

export async function dockerTestbed(docker: Dockerode, name: string): Promise<Testbed> {
  const engine = new DockerEngine(docker);
  const image = await testImage(docker);
  const instance = `test-${name}-${randomUUID().slice(0, 8)}`;
  const sandbox = new DockerSandbox(engine, { instance, version: 'test', image });
  const bootId = randomUUID();
  const homesDir = join(await fsp.realpath(tmpdir()), `habitat-docker-${instance}`);
  const home = (pid: number): Promise<string> => createHome(homesDir, pid);
  return {
    engine,
    sandbox,
    instance,
    image,
    bootId,
    home,
    async agent(pid, spec = {}) {
      const agent = await sandbox.create({ pid, bootId, home: await home(pid), network: false, ...spec });
      await agent.start();
      return agent;
    },
    async cleanup() {
      await removeInstance(engine, instance);
      await fsp.rm(homesDir, { recursive: true, force: true });
    },
  };
}

export async function removeInstance(engine: DockerEngine, instance: string): Promise<void> {
  const containers = await listManaged(engine, instance);
  await Promise.all(
    containers.map((c) => new ContainerAgent(engine, { id: c.id, pid: c.pid ?? 0, name: c.name }).remove()),
  );
  await removeUnusedAgentNetworks(engine, instance);
}

/** Everything a terminal prints, and a way to wait for a pattern in it. */
export function recordTerminal(terminal: PtyProcess): {
  text(): string;
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  exited: Promise<number>;
} {
  let text = '';
  terminal.onData((data) => (text += data));
  const exited = new Promise<number>((resolve) => terminal.onExit((exit) => resolve(exit.exitCode)));
  return {
    text: () => text,
    async waitFor(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      const matches = (): boolean =>
        typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
      while (!matches()) {
        if (Date.now() > deadline) {
          throw new Error(
            `timed out waiting for ${String(pattern)}; the terminal shows: ${text.slice(-500)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return text;
    },
    exited,
  };
}
