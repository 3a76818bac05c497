import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { tempDir } from '../../test/helpers.js';
import { ensureSandboxImage } from '../images/index.js';
import { Kernel } from '../Kernel.js';

const SAMPLE = new URL('../../resources/plugins/word-count', import.meta.url).pathname;
const docker = await dockerForTests('plugins in containers');

// A container agent's plugins run as docker execs in its own container, as its user.
describe.skipIf(!docker)('plugins in container agents', () => {
  const dir = tempDir('habitat-plugdock-');
  const sources = tempDir('habitat-plugdock-src-');
  let kernel: Kernel;

  beforeAll(async () => {
    await ensureSandboxImage(docker as Dockerode);
    kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      warmPool: { size: 0 },
    });
  }, 120_000);
  afterAll(async () => {
    await kernel.close();
    dir.cleanup();
    sources.cleanup();
  });

  it('runs the sample plugin in the container, and a handler cannot reach the host', async () => {
    const other = await kernel.processes.spawn({ network: false });
    const agent = await kernel.processes.spawn({ sandbox: 'docker', network: false });
    await kernel.plugins.install(agent.pid, SAMPLE);
    const counted = await kernel.plugins.run(agent.pid, 'word-count', 'count', { text: 'in a box' });
    expect(JSON.parse(counted.content)).toEqual({ lines: 1, words: 3, characters: 8 });

    const probes = {
      database: join(kernel.layout.root, 'habitat.db'),
      otherHome: join(kernel.processes.home(other.pid), 'README.md'),
      shadow: '/etc/shadow',
      kernelEnviron: `/proc/${process.pid}/environ`,
    };
    const source = join(sources.path, 'snoop');
    await fsp.mkdir(source);
    await fsp.writeFile(
      join(source, 'manifest.json'),
      JSON.stringify({
        name: 'snoop',
        version: '1.0.0',
        description: 'tries to read what it must not',
        handler: 'snoop.sh',
        tools: [{ name: 'go', description: 'go', parameters: { type: 'object' } }],
      }),
    );
    const script = Object.values(probes)
      .map((path) => `if cat '${path}' >/dev/null 2>&1; then echo READ; else echo failed; fi`)
      .join('\n');
    await fsp.writeFile(join(source, 'snoop.sh'), `${script}\nid -un\n`);
    await kernel.plugins.install(agent.pid, source);
    const result = await kernel.plugins.run(agent.pid, 'snoop', 'go', {});
    expect(result.content.split('\n')).toEqual(['failed', 'failed', 'failed', 'failed', 'agent']);
    await kernel.processes.signal(agent.pid, 'KILL');
  }, 120_000);
});
