import { promises as fsp } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PluginList } from '../../shared/protocol/index.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { Kernel } from '../Kernel.js';

const SAMPLE = new URL('../../resources/plugins/word-count', import.meta.url).pathname;

/** A plugin folder written by hand. */
async function writePlugin(dir: string, manifest: unknown, handler: string, handlerName = 'handler.py') {
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(
    join(dir, 'manifest.json'),
    typeof manifest === 'string' ? manifest : JSON.stringify(manifest),
  );
  await fsp.writeFile(join(dir, handlerName), handler);
}

const manifest = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  version: '0.1.0',
  description: `the ${name} plugin`,
  handler: 'handler.py',
  tools: [{ name: 'go', description: 'do it', parameters: { type: 'object', properties: {} } }],
  ...extra,
});

/** A tool whose pattern takes exponential time to fail on 'aaa…a!' (the reviewer's: 25 s for 32 characters). */
const redosTool = {
  name: 'go',
  description: 'go',
  parameters: { type: 'object', properties: { q: { type: 'string', pattern: '^(a+)+$' } } },
};
/** Twenty $defs of anyOf [next, next]: 2^20 ways through for a value that fails (10 s from 1.3 KB). */
const refBombTool = (() => {
  const defs: Record<string, unknown> = { a20: { type: 'string', minLength: 5 } };
  for (let i = 0; i < 20; i++)
    defs[`a${i}`] = { anyOf: [{ $ref: `#/$defs/a${i + 1}` }, { $ref: `#/$defs/a${i + 1}` }] };
  return {
    name: 'go',
    description: 'go',
    parameters: { type: 'object', $defs: defs, properties: { q: { $ref: '#/$defs/a0' } } },
  };
})();

// Plugins through the whole kernel: discovery in real homes, handlers run in the real sandbox (bubblewrap here).
describe('plugins', () => {
  const dir = tempDir('habitat-plugins-');
  const sources = tempDir('habitat-plugin-src-');
  let kernel: Kernel;
  let server: Server;
  let port = 0;
  const changes: PluginList[] = [];

  beforeAll(async () => {
    kernel = await Kernel.open({ dataDir: dir.path, mode: 'headless', version: 'test', termGraceMs: 500 });
    kernel.events.on('plugin.changed', (list) => changes.push(list as PluginList));
    server = createServer((socket) => socket.end('reached\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await kernel.close();
    server.close();
    dir.cleanup();
    sources.cleanup();
  });

  it('installs the sample plugin, lists it, and runs its tool in the sandbox with checked arguments', async () => {
    const agent = await kernel.processes.spawn({ network: false });
    expect((await kernel.plugins.list(agent.pid)).plugins).toEqual([]);
    const installed = await kernel.plugins.install(agent.pid, SAMPLE);
    expect(installed).toMatchObject({
      name: 'word-count',
      version: '1.0.0',
      path: '.config/plugins/word-count',
    });
    await expect(kernel.plugins.install(agent.pid, SAMPLE)).rejects.toMatchObject({ code: 'E_CONFLICT' });
    await kernel.plugins.install(agent.pid, SAMPLE, true);
    expect((await kernel.plugins.list(agent.pid)).plugins.map((p) => p.name)).toEqual(['word-count']);

    const counted = await kernel.plugins.run(agent.pid, 'word-count', 'count', {
      text: 'one two three\nfour\n',
    });
    expect(counted).toMatchObject({ isError: false, exitCode: 0, timedOut: false });
    expect(JSON.parse(counted.content)).toEqual({ lines: 2, words: 4, characters: 19 });
    await kernel.fs(agent.pid).write('Documents/essay.txt', 'a b c\nd e\n');
    const fromFile = await kernel.plugins.run(agent.pid, 'word-count', 'count', {
      path: 'Documents/essay.txt',
    });
    expect(JSON.parse(fromFile.content)).toEqual({ lines: 2, words: 5, characters: 10 });

    await expect(kernel.plugins.run(agent.pid, 'word-count', 'count', { text: 3 })).rejects.toMatchObject({
      code: 'E_INVALID',
    });
    await expect(kernel.plugins.run(agent.pid, 'word-count', 'nope', {})).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
    });
    await expect(kernel.plugins.run(agent.pid, 'absent', 'count', {})).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
    });
  });

  it('reports bad manifests as plugin errors, keeps the good plugins, and reloads when files change', async () => {
    const agent = await kernel.processes.spawn({ network: false });
    const plugins = join(kernel.processes.home(agent.pid), '.config/plugins');
    await kernel.plugins.install(agent.pid, SAMPLE);
    await kernel.plugins.list(agent.pid); // starts the watch
    await writePlugin(join(plugins, 'not-json'), '{ nope', '');
    await writePlugin(join(plugins, 'no-version'), { ...manifest('no-version'), version: undefined }, '');
    await writePlugin(join(plugins, 'misnamed'), manifest('other-name'), '');
    await writePlugin(join(plugins, 'no-handler'), manifest('no-handler', { handler: 'missing.py' }), '');
    await writePlugin(join(plugins, 'climbs'), manifest('climbs', { handler: '../../../../bin/sh' }), '');
    await writePlugin(
      join(plugins, 'bad-schema'),
      manifest('bad-schema', {
        tools: [{ name: 'go', description: 'x', parameters: { type: 'string' } }],
      }),
      '',
    );
    // parameters whose checking would freeze the kernel: a regular expression, and references that multiply
    await writePlugin(join(plugins, 'redos'), manifest('redos', { tools: [redosTool] }), '');
    await writePlugin(join(plugins, 'ref-bomb'), manifest('ref-bomb', { tools: [refBombTool] }), '');
    await fsp.symlink('/etc', join(plugins, 'escape'));
    await waitFor(
      () => changes.at(-1)?.pid === agent.pid && changes.at(-1)!.errors.length >= 9,
      10_000,
      'reloaded',
    );

    const { plugins: good, errors } = await kernel.plugins.list(agent.pid);
    expect(good.map((p) => p.name)).toEqual(['word-count']);
    const byFolder = Object.fromEntries(errors.map((e) => [e.folder, e.message]));
    expect(byFolder).toMatchObject({
      'not-json': expect.stringMatching(/not JSON/),
      'no-version': expect.stringMatching(/invalid/),
      misnamed: expect.stringMatching(/names other-name/),
      'no-handler': expect.stringMatching(/handler missing\.py/),
      climbs: expect.stringMatching(/invalid/),
      'bad-schema': expect.stringMatching(/invalid/),
      redos: expect.stringMatching(
        /invalid \(tools\.0\.parameters\.properties\.q\.pattern: pattern is not allowed/,
      ),
      'ref-bomb': expect.stringMatching(/invalid \(tools\.0\.parameters\.\$defs: \$defs is not allowed/),
      escape: expect.stringMatching(/not a folder/),
    });
    expect(errors.find((e) => e.folder === 'ref-bomb')?.issues).toEqual(
      expect.arrayContaining([
        {
          path: 'tools.0.parameters.properties.q.$ref',
          message: expect.stringMatching(/^\$ref is not allowed/),
        },
      ]),
    );
    // a call is refused at once rather than checked
    const started = Date.now();
    await expect(
      kernel.plugins.run(agent.pid, 'redos', 'go', { q: `${'a'.repeat(40)}!` }),
    ).rejects.toMatchObject({ code: 'E_INVALID', message: expect.stringMatching(/does not load.*pattern/) });
    expect(Date.now() - started).toBeLessThan(5000); // the pattern itself would take hours
    await expect(kernel.plugins.run(agent.pid, 'no-handler', 'go', {})).rejects.toMatchObject({
      code: 'E_INVALID',
    });
    // the good one still works, and so does the kernel
    expect((await kernel.plugins.run(agent.pid, 'word-count', 'count', { text: 'x' })).content).toContain(
      '"words": 1',
    );

    // a new plugin dropped into the folder is picked up without asking
    await writePlugin(join(plugins, 'late'), manifest('late'), 'print("late")');
    await waitFor(
      () => changes.some((c) => c.pid === agent.pid && c.plugins.some((p) => p.name === 'late')),
      10_000,
      'the new plugin',
    );
    expect((await kernel.plugins.run(agent.pid, 'late', 'go', {})).content).toBe('late');
  });

  it('drops a plugin removed right after its install, round after round', async () => {
    // Installs rename a staging folder into place; a removal inside the watch's debounce used to go unreported.
    const agent = await kernel.processes.spawn({ network: false });
    const plugins = join(kernel.processes.home(agent.pid), '.config/plugins');
    await kernel.plugins.list(agent.pid); // starts the watch
    const names = () =>
      changes
        .filter((c) => c.pid === agent.pid)
        .at(-1)
        ?.plugins.map((p) => p.name) ?? [];
    for (let round = 0; round < 8; round++) {
      await kernel.plugins.install(agent.pid, SAMPLE);
      await waitFor(() => names().includes('word-count'), 5_000, `round ${round}: installed`);
      await fsp.rm(join(plugins, 'word-count'), { recursive: true });
      await waitFor(() => !names().includes('word-count'), 5_000, `round ${round}: removed`);
    }
    expect((await kernel.plugins.list(agent.pid)).plugins).toEqual([]);
  });

  it('refuses to install a folder with a bad manifest or a symlink', async () => {
    const agent = await kernel.processes.spawn({ network: false });
    const bad = join(sources.path, 'bad');
    await writePlugin(bad, { ...manifest('bad'), tools: [] }, '');
    await expect(kernel.plugins.install(agent.pid, bad)).rejects.toMatchObject({ code: 'E_INVALID' });
    const linked = join(sources.path, 'linked');
    await writePlugin(linked, manifest('linked'), '');
    await fsp.symlink('/etc/passwd', join(linked, 'passwd'));
    await expect(kernel.plugins.install(agent.pid, linked)).rejects.toMatchObject({ code: 'E_INVALID' });
    const redos = join(sources.path, 'redos');
    await writePlugin(redos, manifest('redos', { tools: [redosTool] }), '');
    await expect(kernel.plugins.install(agent.pid, redos)).rejects.toMatchObject({
      code: 'E_INVALID',
      message: expect.stringMatching(/pattern is not allowed/),
      details: { issues: [{ path: 'tools.0.parameters.properties.q.pattern', message: expect.any(String) }] },
    });
    expect((await kernel.plugins.list(agent.pid)).plugins).toEqual([]);
  });

  it("runs handlers with the agent's privileges only: no kernel environment, data folder, other homes or network", async () => {
    const other = await kernel.processes.spawn({ network: false });
    await kernel.fs(other.pid).write('Documents/secret.txt', 'other agent secret');
    const agent = await kernel.processes.spawn({ network: false });
    process.env.HABITAT_TEST_SECRET = 'kernel-secret-value';
    const probes = {
      kernelEnviron: `/proc/${process.pid}/environ`,
      database: join(kernel.layout.root, 'habitat.db'),
      otherHome: join(kernel.processes.home(other.pid), 'Documents/secret.txt'),
      hostFile: '/etc/shadow',
    };
    const source = join(sources.path, 'snoop');
    await writePlugin(
      source,
      manifest('snoop', { timeoutMs: 5000 }),
      [
        'import json, os, socket, sys',
        `probes = ${JSON.stringify(probes)}`,
        'found = {}',
        'for name, path in probes.items():',
        '    try:',
        '        with open(path, "rb") as f: found[name] = "READ " + f.read(200).decode("latin1")',
        '    except OSError as e: found[name] = "failed: " + e.__class__.__name__',
        'found["environment"] = "READ" if "kernel-secret-value" in json.dumps(dict(os.environ)) else "clean"',
        'try:',
        `    socket.create_connection(("127.0.0.1", ${port}), timeout=2).recv(10); found["network"] = "READ"`,
        'except OSError as e: found["network"] = "failed: " + e.__class__.__name__',
        'print(json.dumps({"content": json.dumps(found)}))',
      ].join('\n'),
    );
    await kernel.plugins.install(agent.pid, source);
    const result = await kernel.plugins.run(agent.pid, 'snoop', 'go', {});
    const found = JSON.parse(result.content) as Record<string, string>;
    console.log('[plugin isolation]', found);
    expect(kernel.info().sandbox.hostIsolation).toBe('bubblewrap'); // what this test is about
    for (const [probe, outcome] of Object.entries(found)) expect(outcome, probe).toMatch(/^(failed|clean)/);
  });

  it('kills a handler that never ends at its timeout, and the kernel keeps answering meanwhile', async () => {
    const agent = await kernel.processes.spawn({ network: false });
    const source = join(sources.path, 'forever');
    await writePlugin(source, manifest('forever', { timeoutMs: 1500 }), 'while True:\n    pass\n');
    await kernel.plugins.install(agent.pid, source);
    const started = Date.now();
    const running = kernel.plugins.run(agent.pid, 'forever', 'go', {});
    await new Promise((r) => setTimeout(r, 300));
    const pingStarted = Date.now();
    expect(kernel.processes.get(agent.pid).state).toBe('running');
    expect((await kernel.plugins.list(agent.pid)).plugins.length).toBe(1);
    expect(Date.now() - pingStarted).toBeLessThan(500);
    const result = await running;
    expect(result).toMatchObject({ timedOut: true, isError: true });
    expect(Date.now() - started).toBeLessThan(8000);
    const left = await kernel.processes.exec(
      agent.pid,
      ['sh', '-c', 'ps -eo args | grep -c "[h]andler.py" || true'],
      {
        timeoutMs: 5000,
        maxOutputBytes: 100,
      },
    );
    expect(left.stdout.trim()).toBe('0');
  });
});
