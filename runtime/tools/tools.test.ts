import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KernelAgents } from '../testing/kernelAgent.js';
import { InMemoryMemory } from '../memory/index.js';
import {
  coreTools,
  defineTool,
  kernelHost,
  pluginToolName,
  pluginTools,
  ToolRegistry,
  type AgentHost,
  type ToolContext,
} from './index.js';
import { FakeHost } from './testing/FakeHost.js';

function context(
  host: AgentHost,
  extra: Partial<ToolContext> = {},
): ToolContext & { completed?: { summary: string; success: boolean } } {
  const ctx: ToolContext & { completed?: { summary: string; success: boolean } } = {
    host,
    signal: new AbortController().signal,
    memory: undefined,
    step: 1,
    complete: (summary, success) => (ctx.completed = { summary, success }),
    memoryChanged: () => {},
    ...extra,
  };
  return ctx;
}

/** Runs a call as the loop does: validated by the registry, then handled. */
async function call(
  registry: ToolRegistry,
  host: AgentHost,
  name: string,
  args: unknown,
  ctx = context(host),
) {
  const prepared = registry.prepare({ id: 'c1', name, args });
  if (!prepared.ok) throw new Error(prepared.error);
  const out = await prepared.tool.handler(prepared.args, ctx);
  return typeof out === 'string' ? { content: out } : out;
}

describe('ToolRegistry', () => {
  it('declares tools with JSON schemas derived from zod', () => {
    const registry = coreTools();
    expect(registry.names()).toEqual([
      'read_file',
      'write_file',
      'edit_file',
      'list_files',
      'mkdir',
      'run_command',
      'send_input',
      'think',
      'memory',
      'ask_human',
      'complete',
      'list_agents',
      'send_message',
      'check_messages',
      'create_shared_workspace',
      'list_workspaces',
      'mount_workspace',
    ]);
    const write = registry.declarations().find((d) => d.name === 'write_file')!;
    expect(write.description).toMatch(/Create or replace a text file/);
    expect(write.parameters).toMatchObject({
      type: 'object',
      properties: {
        path: { type: 'string', description: expect.any(String) },
        content: { type: 'string' },
        append: { type: 'boolean' },
      },
      required: ['path', 'content'],
    });
    expect(JSON.stringify(registry.declarations())).not.toContain('$schema');
  });

  it('refuses unknown tools and bad arguments with messages meant for the model', () => {
    const registry = coreTools();
    expect(registry.prepare({ id: '1', name: 'delete_everything', args: {} })).toEqual({
      ok: false,
      error: expect.stringMatching(
        /^there is no tool named "delete_everything"; the tools are: read_file, write_file/,
      ),
    });
    expect(registry.prepare({ id: '2', name: 'write_file', args: { path: 'a.txt' } })).toEqual({
      ok: false,
      error: expect.stringMatching(/^invalid arguments for write_file: content: /),
    });
    expect(registry.prepare({ id: '3', name: 'run_command', args: '{"command": ' })).toMatchObject({
      ok: false,
    });
    expect(registry.prepare({ id: '4', name: 'list_files', args: undefined })).toMatchObject({
      ok: true,
      args: {},
    });
  });

  it('takes tools defined by JSON Schema (plugins): the schema goes to the model as is, calls are checked by it', async () => {
    const parameters = {
      type: 'object' as const,
      properties: {
        text: { type: 'string', description: 'what to count' },
        n: { type: 'integer', minimum: 1 },
      },
      required: ['text'],
      additionalProperties: false,
    };
    const calls: unknown[] = [];
    const [tool, ...rest] = pluginTools(
      [
        {
          name: 'word-count',
          version: '1.0.0',
          description: 'counts',
          handler: 'count.sh',
          requiresApproval: true,
          timeoutMs: 1000,
          path: '.config/plugins/word-count',
          tools: [{ name: 'count', description: 'Count words.', parameters }],
        },
      ],
      async (plugin, name, args) => {
        calls.push({ plugin, name, args });
        return {
          content: '3',
          isError: false,
          exitCode: 0,
          stderr: '',
          timedOut: false,
          truncated: false,
          durationMs: 1,
        };
      },
    );
    expect(rest).toEqual([]);
    const registry = coreTools().register(tool!);
    expect(registry.declarations().find((d) => d.name === 'plugin__word_count__count')).toEqual({
      name: 'plugin__word_count__count',
      description: 'Count words. (plugin word-count 1.0.0)',
      parameters,
    });
    for (const bad of [{}, { text: 1 }, { text: 'a', n: 0 }, { text: 'a', extra: true }])
      expect(registry.prepare({ id: '1', name: 'plugin__word_count__count', args: bad })).toMatchObject({
        ok: false,
      });
    const prepared = registry.prepare({
      id: '1',
      name: 'plugin__word_count__count',
      args: { text: 'a b c', n: 2 },
    });
    if (!prepared.ok) throw new Error(prepared.error);
    expect(registry.dangerReasons(prepared.tool, prepared.args, new FakeHost())).toEqual([
      'plugin__word_count__count always needs a look',
    ]);
    expect(await prepared.tool.handler(prepared.args, context(new FakeHost()))).toMatchObject({
      content: '3',
    });
    expect(calls).toEqual([{ plugin: 'word-count', name: 'count', args: { text: 'a b c', n: 2 } }]);
    // names stay within 64 characters and apart
    const long = pluginToolName('p'.repeat(64), 't'.repeat(64));
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).not.toBe(pluginToolName('p'.repeat(64), `${'t'.repeat(63)}u`));
    expect(() => new ToolRegistry().register({ ...tool!, name: long })).not.toThrow();
  });

  it('leaves out a plugin tool whose schema is outside the safe subset, and bounds the arguments it checks', () => {
    const plugin = (properties: Record<string, unknown>) => ({
      name: 'probe',
      version: '1.0.0',
      description: 'probe',
      handler: 'probe.sh',
      requiresApproval: false,
      timeoutMs: 1000,
      path: '.config/plugins/probe',
      tools: [{ name: 'go', description: 'Go.', parameters: { type: 'object' as const, properties } }],
    });
    const run = async () => {
      throw new Error('not called');
    };
    // a list that did not come through the kernel's manifest check: a pattern would be matched on this loop
    expect(pluginTools([plugin({ q: { type: 'string', pattern: '^(a+)+$' } })], run)).toEqual([]);
    const [tool] = pluginTools([plugin({ n: { type: 'array', items: { type: 'number' } } })], run);
    const registry = new ToolRegistry([tool!]);
    expect(registry.prepare({ id: '1', name: tool!.name, args: { n: Array(1000).fill(1) } }).ok).toBe(true);
    const started = performance.now();
    expect(registry.prepare({ id: '2', name: tool!.name, args: { n: Array(100_000).fill('x') } })).toEqual({
      ok: false,
      error: expect.stringMatching(/invalid arguments for plugin__probe__go: .*at most 32768 values/),
    });
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('takes new tool groups, and refuses duplicates and bad names', () => {
    const registry = new ToolRegistry();
    const hello = defineTool({
      name: 'send_message',
      description: 'x',
      parameters: z.object({ to: z.number() }),
      handler: (a) => `sent to ${a.to}`,
    });
    registry.register(hello);
    expect(() => registry.register(hello)).toThrow(/already registered/);
    expect(() => registry.register({ ...hello, name: 'Bad-Name' })).toThrow(/lower_snake_case/);
    expect(registry.declarations().map((d) => d.name)).toEqual(['send_message']);
    registry.unregister('send_message');
    expect(registry.declarations()).toEqual([]);
  });

  it('finds the reasons a call is dangerous from the tool itself', () => {
    const registry = coreTools();
    const host = new FakeHost();
    const danger = (name: string, args: unknown) => {
      const p = registry.prepare({ id: 'x', name, args });
      if (!p.ok) throw new Error(p.error);
      return registry.dangerReasons(p.tool, p.args, host);
    };
    expect(danger('run_command', { command: 'rm -rf build' })).toEqual(['deletes recursively (rm -r)']);
    expect(danger('run_command', { command: 'ls' })).toEqual([]);
    // the input a shell reads as its script is looked at like the command line; for other programs it is data
    expect(danger('run_command', { command: 'bash', input: 'rm -rf ~/notes.md ~/Documents' })).toEqual([
      'deletes recursively (rm -r)',
    ]);
    expect(danger('run_command', { command: 'cat > notes.md', input: 'rm -rf ~/Documents' })).toEqual([]);
    expect(danger('write_file', { path: '/etc/passwd', content: '' })).toEqual([
      'writes outside the home (/etc/passwd)',
    ]);
    expect(danger('write_file', { path: '.bashrc', content: '' })).toEqual([
      'changes a shell startup file (.bashrc)',
    ]);
    expect(danger('read_file', { path: '/etc/passwd' })).toEqual([]);
  });
});

describe('core tools on a fake host', () => {
  const registry = coreTools();

  it('write, append, edit, read, list and mkdir through the files of the host', async () => {
    const host = new FakeHost();
    expect(
      (await call(registry, host, 'write_file', { path: '/home/agent/notes/a.md', content: 'one\n' }))
        .content,
    ).toBe('wrote 4 bytes to notes/a.md (now 4 bytes)');
    expect(
      (await call(registry, host, 'write_file', { path: '~/notes/a.md', content: 'two\n', append: true }))
        .content,
    ).toBe('appended 4 bytes to notes/a.md (now 8 bytes)');
    expect(
      (await call(registry, host, 'edit_file', { path: 'notes/a.md', find: 'two', replace: 'deux' })).content,
    ).toMatch(/replaced 1/);
    expect((await call(registry, host, 'read_file', { path: 'notes/a.md' })).content).toBe('one\ndeux\n');
    expect(
      await call(registry, host, 'edit_file', { path: 'notes/a.md', find: 'zzz', replace: 'y' }),
    ).toMatchObject({ isError: true });
    await call(registry, host, 'write_file', { path: 'notes/b.md', content: 'x x x' });
    expect(
      await call(registry, host, 'edit_file', { path: 'notes/b.md', find: 'x', replace: 'y' }),
    ).toMatchObject({
      isError: true,
      content: expect.stringMatching(/appears 3 times/),
    });
    await call(registry, host, 'edit_file', { path: 'notes/b.md', find: 'x', replace: '$&y', all: true });
    expect(host.files.data.get('notes/b.md')).toBe('$&y $&y $&y');
    // bytes that are not UTF-8 survive an append; an edit refuses the file
    host.files.bytes.set('notes/c.bin', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    await call(registry, host, 'write_file', { path: 'notes/c.bin', content: 'more\n', append: true });
    expect(host.files.bytes.get('notes/c.bin')).toEqual(Buffer.from('caf\xe9\nmore\n', 'latin1'));
    expect(
      await call(registry, host, 'edit_file', { path: 'notes/c.bin', find: 'more', replace: 'x' }),
    ).toMatchObject({ isError: true, content: expect.stringMatching(/is not UTF-8 text/) });
    expect(host.files.bytes.get('notes/c.bin')).toEqual(Buffer.from('caf\xe9\nmore\n', 'latin1'));
    host.files.bytes.delete('notes/c.bin');
    // appending to a file that is not there yet creates it
    await call(registry, host, 'write_file', { path: 'notes/new/d.md', content: 'd', append: true });
    expect(host.files.data.get('notes/new/d.md')).toBe('d');
    host.files.bytes.delete('notes/new/d.md');
    host.files.dirs.delete('notes/new');
    expect((await call(registry, host, 'mkdir', { path: 'projects/web' })).content).toBe(
      'folder ~/projects/web is ready',
    );
    const listing = await call(registry, host, 'list_files', {});
    expect(listing.content).toBe('~: 2 entries\nnotes/\nprojects/');
    expect((await call(registry, host, 'list_files', { path: 'notes' })).content).toBe(
      '~/notes: 2 entries\na.md  9 B\nb.md  11 B',
    );
  });

  it('run_command reports exit code, output, truncation and timeouts to the model', async () => {
    const host = new FakeHost(1, (command) =>
      command === 'slow'
        ? { exitCode: null, signal: 'SIGKILL', timedOut: true, stdout: 'partial\n' }
        : { exitCode: 2, stdout: 'out\n', stderr: 'err\n', truncated: true },
    );
    const out = await call(registry, host, 'run_command', {
      command: 'make',
      timeout_seconds: 5,
      input: 'y\n',
    });
    expect(out.content).toBe(
      '$ make\nexit code 2 (1 ms)\nout\n[stderr]\nerr\n[output truncated: only the first 65536 bytes of each stream were kept]',
    );
    expect(host.commands[0]).toMatchObject({
      argv: ['/bin/bash', '-c', 'make'],
      options: { timeoutMs: 5000, maxOutputBytes: 65536, input: 'y\n' },
    });
    expect((await call(registry, host, 'run_command', { command: 'slow' })).content).toMatch(
      /^\$ slow\ntimed out after 60 s and was killed/,
    );
  });

  it('complete ends the run; memory edits persistent notes', async () => {
    const host = new FakeHost();
    const memory = new InMemoryMemory('- likes tea\n');
    const seen: string[] = [];
    const ctx = context(host, { memory, memoryChanged: (n) => seen.push(n) });
    await call(registry, host, 'complete', { summary: 'all done' }, ctx);
    expect(ctx.completed).toEqual({ summary: 'all done', success: true });
    await call(registry, host, 'memory', { action: 'add', text: '- project is in ~/web' }, ctx);
    await call(registry, host, 'memory', { action: 'replace', old: 'tea', text: 'coffee' }, ctx);
    expect(await memory.read()).toBe('- likes coffee\n- project is in ~/web\n');
    expect(seen).toHaveLength(2);
    expect(
      await call(registry, host, 'memory', { action: 'remove', text: 'nothing like this' }, ctx),
    ).toMatchObject({ isError: true });
    expect(await call(registry, host, 'memory', { action: 'add', text: 'x' })).toMatchObject({
      isError: true,
    }); // no memory configured
  });
});

describe('core tools on a real kernel agent', () => {
  const agents = new KernelAgents();
  afterAll(() => agents.close());
  const registry = coreTools();

  it('append adds bytes to a file that is not UTF-8, and edit_file refuses it rather than corrupt it', async () => {
    const { host, kernel, pid } = await agents.spawn();
    const files = kernel.fs(pid);
    const bytes = async (path: string) =>
      Buffer.from((await files.read(path, { encoding: 'base64' })).content, 'base64');
    await files.write('latin1.txt', Buffer.from('caf\xe9\n', 'latin1'));
    expect(
      (await call(registry, host, 'write_file', { path: 'latin1.txt', content: 'more\n', append: true }))
        .content,
    ).toBe('appended 5 bytes to latin1.txt (now 10 bytes)');
    expect(await bytes('latin1.txt')).toEqual(Buffer.from('caf\xe9\nmore\n', 'latin1'));

    const edit = await call(registry, host, 'edit_file', {
      path: 'latin1.txt',
      find: 'more',
      replace: 'less',
    });
    expect(edit).toMatchObject({
      isError: true,
      content: expect.stringMatching(/^latin1\.txt is not UTF-8 text, so edit_file leaves it alone/),
    });
    expect(await bytes('latin1.txt')).toEqual(Buffer.from('caf\xe9\nmore\n', 'latin1'));

    // UTF-8 with a byte order mark is text: edited, its mark kept
    await files.write('bom.txt', Buffer.from('\ufeffcafé\n', 'utf8'));
    await call(registry, host, 'edit_file', { path: 'bom.txt', find: 'café', replace: 'thé' });
    expect(await bytes('bom.txt')).toEqual(Buffer.from('\ufeffthé\n', 'utf8'));
  });

  it('files land in the agent home and commands run in its sandbox', async () => {
    const { host, kernel, pid } = await agents.spawn();
    await call(registry, host, 'write_file', { path: 'notes/todo.md', content: '- a\n- b\n' });
    expect((await kernel.fs(pid).read('notes/todo.md')).content).toBe('- a\n- b\n');
    await call(registry, host, 'mkdir', { path: '/home/agent/projects/x' });
    expect((await kernel.fs(pid).stat('projects/x')).type).toBe('dir');
    const listing = await call(registry, host, 'list_files', { path: '.' });
    for (const name of ['Desktop/', 'Documents/', 'notes/', 'projects/'])
      expect(listing.content).toContain(name);

    // on a terminal of its own: one transcript, as a person would see it
    const cat = await call(registry, host, 'run_command', {
      command: 'cat notes/todo.md; echo oops >&2; exit 3',
    });
    expect(cat.content).toMatch(
      /^\$ cat notes\/todo.md; echo oops >&2; exit 3\nexit code 3 \(\d+ ms\)\n- a\n- b\noops$/,
    );
    expect(cat.data).toMatchObject({
      state: 'exited',
      exitCode: 3,
      output: '- a\n- b\noops\n',
      dropped: 0,
      timedOut: false,
    });

    const big = await call(registry, host, 'run_command', {
      command: 'head -c 200000 /dev/zero | tr "\\0" x',
    });
    expect(big.data).toMatchObject({ exitCode: 0, state: 'exited' });
    expect((big.data as { dropped: number }).dropped).toBeGreaterThan(100_000);
    expect(big.content).toMatch(/output truncated: \d+ characters in the middle were not kept/);

    const slow = await call(registry, host, 'run_command', { command: 'sleep 30', timeout_seconds: 1 });
    expect(slow.data).toMatchObject({ timedOut: true, state: 'timeout' });
    expect(slow.content).toMatch(/timed out after 1 s and was killed/);

    // with input given up front it runs without a terminal, stdout and stderr apart
    const input = await call(registry, host, 'run_command', {
      command: 'read line; echo "got $line"; echo oops >&2',
      input: 'hello\n',
    });
    expect(input.data).toMatchObject({ stdout: 'got hello\n', stderr: 'oops\n', exitCode: 0 });
  });

  it('refuses paths that leave the home, whatever the model writes', async () => {
    const { host } = await agents.spawn();
    await expect(
      call(registry, host, 'write_file', { path: '/etc/evil', content: 'x' }),
    ).rejects.toMatchObject({ code: 'E_DENIED' });
    await expect(call(registry, host, 'read_file', { path: '../../x' })).rejects.toMatchObject({
      code: 'E_DENIED',
    });
    await expect(call(registry, host, 'read_file', { path: 'missing.txt' })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
    });
  });
});

describe('working together: agents, mailboxes and shared workspaces on a real kernel', () => {
  const agents = new KernelAgents();
  afterAll(() => agents.close());

  it('lets agents find each other, exchange messages and share a folder', async () => {
    const { kernel, pid: alice, host } = await agents.spawn();
    const bob = (await kernel.processes.spawn({ network: false, name: 'bob', role: 'reviewer' })).pid;
    const bobHost = kernelHost(kernel, bob);
    const registry = coreTools();

    const listed = await call(registry, host, 'list_agents', {});
    expect(listed.content).toContain(`${bob} bob (reviewer): running`);
    expect(listed.content).not.toContain(`${alice} `);

    await call(registry, host, 'send_message', {
      to: bob,
      subject: 'review',
      body: 'please read ~/shared/notes',
    });
    const inbox = await call(registry, bobHost, 'check_messages', {});
    expect(inbox.content).toContain(`from ${alice} [review]: please read ~/shared/notes`);
    expect((await call(registry, bobHost, 'check_messages', {})).content).toBe('no unread messages');
    await expect(call(registry, host, 'send_message', { to: 99999, body: 'hello?' })).rejects.toThrow();

    expect((await call(registry, host, 'create_shared_workspace', { name: 'notes' })).content).toBe(
      'created workspace notes',
    );
    expect((await call(registry, host, 'list_workspaces', {})).content).toBe(`notes (owner ${alice})`);
    expect((await call(registry, host, 'mount_workspace', { name: 'notes', mode: 'rw' })).content).toContain(
      'shared/notes',
    );
    const written = await call(registry, host, 'run_command', {
      command: 'echo shared > ~/shared/notes/a.txt && cat ~/shared/notes/a.txt',
    });
    expect(written.content).toContain('shared');
    // bob was granted nothing: the kernel refuses his mount
    await expect(
      call(registry, bobHost, 'mount_workspace', { name: 'notes', mode: 'ro' }),
    ).rejects.toMatchObject({
      code: 'E_DENIED',
    });
  });
});
