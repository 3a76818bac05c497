import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { agentNetworkName } from './agentNetwork.js';
import type { ContainerAgent } from './ContainerAgent.js';
import { dockerTestbed, IMAGE_BUILD_TIMEOUT_MS, recordTerminal, type Testbed } from './testing/testbed.js';

const docker = await dockerForTests('docker isolation');

const MIB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A cgroup v1 file of the container as the host sees it (cgroupfs driver), if this host has one. */
function hostCgroup(controller: string, id: string, file: string): string | undefined {
  const path = `/sys/fs/cgroup/${controller}/docker/${id}/${file}`;
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

async function sh(agent: ContainerAgent, script: string, timeoutMs = 10_000) {
  return agent.exec(['bash', '-c', script], { timeoutMs, maxOutputBytes: 65_536 });
}

describe.skipIf(!docker)('docker sandbox isolation', () => {
  let bed: Testbed;

  beforeAll(async () => {
    bed = await dockerTestbed(docker!, 'isolation');
  }, IMAGE_BUILD_TIMEOUT_MS);
  afterAll(async () => bed?.cleanup());

  it('applies limits for real: docker inspect, the host cgroup files and inside the container', async () => {
    const limits = { memoryBytes: 256 * MIB, cpus: 0.5, pids: 100, openFiles: 1000 };
    const agent = await bed.agent(1, { limits });
    const { HostConfig: host } = await agent.inspect();
    expect(host).toMatchObject({ Memory: 256 * MIB, MemorySwap: 256 * MIB, NanoCpus: 5e8, PidsLimit: 100 });

    const onHost = {
      memory: hostCgroup('memory', agent.id, 'memory.limit_in_bytes'),
      swap: hostCgroup('memory', agent.id, 'memory.memsw.limit_in_bytes'),
      pids: hostCgroup('pids', agent.id, 'pids.max'),
      quota: hostCgroup('cpu', agent.id, 'cpu.cfs_quota_us'),
    };
    if (onHost.memory !== undefined) {
      expect(onHost).toEqual({
        memory: String(256 * MIB),
        swap: String(256 * MIB),
        pids: '100',
        quota: '50000',
      });
    }
    // inside: cgroup v1 shows the container's own cgroup at the root of each controller; v2 in one folder
    const inside = await sh(
      agent,
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null ||' +
        ' cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; ulimit -n',
    );
    expect(inside.stdout.split('\n')).toEqual([String(256 * MIB), '100', '1000', '']);
  });

  it('applies the defaults: 512 MiB without swap, 1 CPU, 256 pids', async () => {
    const agent = await bed.agent(2);
    const { HostConfig: host } = await agent.inspect();
    expect(host).toMatchObject({ Memory: 512 * MIB, MemorySwap: 512 * MIB, NanoCpus: 1e9, PidsLimit: 256 });
    const pids = hostCgroup('pids', agent.id, 'pids.max');
    if (pids !== undefined) expect(pids).toBe('256');
  });

  describe('network', () => {
    let server: Server;
    let gateway: string;
    let port: number;
    let isolated: ContainerAgent;
    let networked: ContainerAgent;
    let other: ContainerAgent;

    beforeAll(async () => {
      [isolated, networked, other] = await Promise.all([
        bed.agent(10),
        bed.agent(11, { network: true }),
        bed.agent(12, { network: true }),
      ]);
      const info = await networked.inspect();
      gateway = Object.values(info.NetworkSettings.Networks)[0]?.Gateway ?? '';
      expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      // a server on the host's side of the Docker bridge only: nothing outside this machine is involved
      server = createServer((socket) => socket.end('hello from the host\n'));
      await new Promise<void>((resolve) => server.listen(0, gateway, resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => server?.close());

    const probe = (host: string): string =>
      `timeout 3 bash -c 'exec 3<>/dev/tcp/${host}/${port} && head -1 <&3' 2>/dev/null || echo unreachable`;

    it('a container without network has only loopback and cannot connect anywhere', async () => {
      expect((await sh(isolated, 'ls /sys/class/net')).stdout.trim()).toBe('lo');
      expect((await sh(isolated, probe(gateway))).stdout.trim()).toBe('unreachable');
      expect((await sh(isolated, probe('127.0.0.1'))).stdout.trim()).toBe('unreachable');
    });

    it('a container with network reaches the same server', async () => {
      expect((await sh(networked, probe(gateway))).stdout.trim()).toBe('hello from the host');
    });

    it('networked agents cannot reach each other', async () => {
      // the other agent serves on every interface (two answers, then it ends): to itself, never to its neighbour
      const address = Object.values((await other.inspect()).NetworkSettings.Networks)[0]!.IPAddress;
      const serving = sh(
        other,
        `exec python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', ${port})); s.listen(8); s.settimeout(8)
for _ in range(2):
    c, _ = s.accept(); c.sendall(b'private data of agent 12\\n'); c.close()"`,
        12_000,
      );
      let self = '';
      for (let i = 0; i < 50 && !self.includes('private'); i++) {
        await sleep(100);
        self = (await sh(other, probe('127.0.0.1'))).stdout;
      }
      expect(self.trim()).toBe('private data of agent 12');
      expect((await sh(networked, probe(address))).stdout.trim()).toBe('unreachable');
      await sh(other, probe('127.0.0.1'));
      await serving;
    });

    it("networked agents share Habitat's own isolating network, whose DNS answers", async () => {
      const [mine, theirs] = await Promise.all([networked.inspect(), other.inspect()]);
      const name = agentNetworkName(bed.instance);
      expect(Object.keys(mine.NetworkSettings.Networks)).toEqual([name]);
      expect(mine.NetworkSettings.Networks[name]!.NetworkID).toBe(
        theirs.NetworkSettings.Networks[name]!.NetworkID,
      );
      const network = await docker!.getNetwork(name).inspect();
      expect(network.Labels).toMatchObject({
        'dev.habitat.managed': '1',
        'dev.habitat.instance': bed.instance,
      });
      expect(network.Options).toMatchObject({ 'com.docker.network.bridge.enable_icc': 'false' });
      // Docker's embedded DNS (it forwards other names to the host's resolvers), not the host's resolv.conf
      const dns = await sh(networked, `grep nameserver /etc/resolv.conf; getent hosts ${mine.Name.slice(1)}`);
      expect(dns.stdout).toContain('nameserver 127.0.0.11');
      expect(dns.stdout).toContain(mine.NetworkSettings.Networks[name]!.IPAddress);
    });
  });

  it('a fork bomb and a memory hog leave the kernel responsive and another agent working', async () => {
    const bomber = await bed.agent(20, { limits: { pids: 128, memoryBytes: 128 * MIB } });
    const neighbour = await bed.agent(21);
    const terminal = neighbour.openTerminal({ cols: 80, rows: 24 });
    const screen = recordTerminal(terminal);
    await terminal.ready;

    const options = { timeoutMs: 20_000, maxOutputBytes: 4096 };
    const hog = bomber.exec(['bash', '-c', 'tail /dev/zero'], options);
    const bomb = bomber.exec(['bash', '-c', ':(){ :|:& };:'], options);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const lateness: number[] = [];
    const until = Date.now() + 4000;
    let round = 0;
    while (Date.now() < until) {
      const due = performance.now() + 20;
      await sleep(20);
      lateness.push(performance.now() - due);
      if (++round % 50 === 0) {
        // every second: the neighbour's terminal still answers
        terminal.write(`echo alive-${round}\n`);
        await screen.waitFor(`alive-${round}\r\n`, 5000);
      }
    }
    delay.disable();
    lateness.sort((a, b) => a - b);
    const p99 = lateness[Math.floor(lateness.length * 0.99)]!;
    expect(p99).toBeLessThan(100);
    expect(delay.percentile(99) / 1e6).toBeLessThan(100);

    const pidsNow = hostCgroup('pids', bomber.id, 'pids.current');
    if (pidsNow !== undefined) {
      expect(Number(pidsNow)).toBeLessThanOrEqual(128);
      const refusedForks = Number(/max (\d+)/.exec(hostCgroup('pids', bomber.id, 'pids.events') ?? '')?.[1]);
      expect(refusedForks).toBeGreaterThan(0); // the bomb really hit the wall
    }
    expect((await hog).exitCode).toBe(137); // the OOM killer took the hog, inside its own cgroup
    const started = Date.now();
    await bomber.kill();
    expect(Date.now() - started).toBeLessThan(10_000);
    await bomb;
    terminal.write('echo after-$((1+1))\n');
    await screen.waitFor('after-2');
  }, 40_000);
});
