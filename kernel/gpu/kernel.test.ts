import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HabitatError, ProcessInfoSchema } from '../../shared/protocol/index.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { Kernel, type KernelOptions } from '../Kernel.js';
import { processTree } from '../os/index.js';

// GPUs through the whole kernel, with the stand-in nvidia-smi (two H100s) first on PATH, as on a GPU box.
const STUB_DIR = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'nvidia-smi');
const A = 'GPU-6b5c8f2e-3a1d-4e9b-9c7a-0f12d34e5a67';
const B = 'GPU-a41e07d3-8c2b-4f61-b5d9-7e3c2a1f0b84';

describe('GPUs in the kernel', () => {
  const path = process.env.PATH;
  const dirs: ReturnType<typeof tempDir>[] = [];
  const kernels: Kernel[] = [];
  async function open(options: Partial<KernelOptions> = {}): Promise<Kernel> {
    let dataDir = options.dataDir;
    if (!dataDir) {
      const dir = tempDir();
      dirs.push(dir);
      dataDir = dir.path;
    }
    const kernel = await Kernel.open({
      dataDir,
      mode: 'headless',
      version: 'test',
      termGraceMs: 500,
      ...options,
    });
    kernels.push(kernel);
    return kernel;
  }
  async function refusal(promise: Promise<unknown>): Promise<HabitatError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HabitatError);
    return error as HabitatError;
  }
  const holders = async (kernel: Kernel) => (await kernel.gpus.list()).gpus.map((g) => g.heldBy);
  /** An ended agent's GPUs go back once its sandbox is gone (its teardown), a moment after it ended. */
  const freed = async (kernel: Kernel, expected: (number | null)[]) => {
    let now: (number | null)[] = [];
    const same = () => JSON.stringify(now) === JSON.stringify(expected);
    for (let i = 0; i < 100 && !same(); i++) {
      now = await holders(kernel);
      if (!same()) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(now).toEqual(expected);
  };

  beforeAll(() => {
    process.env.PATH = `${STUB_DIR}:${path}`;
  });
  afterEach(async () => {
    for (const kernel of kernels.splice(0)) await kernel.close();
    for (const dir of dirs.splice(0)) dir.cleanup();
    vi.restoreAllMocks();
  });
  afterAll(() => {
    process.env.PATH = path;
  });

  it('gives two agents a GPU each, refuses a third with E_LIMIT, and frees a killed agent’s GPU', async () => {
    const kernel = await open();
    const first = await kernel.processes.spawn({ network: false, gpus: 1 });
    const second = await kernel.processes.spawn({ network: false, gpus: 1 });
    expect(first.gpus).toEqual([A]);
    expect(second.gpus).toEqual([B]);
    expect(ProcessInfoSchema.parse(kernel.processes.get(first.pid)).gpus).toEqual([A]);
    expect(await holders(kernel)).toEqual([first.pid, second.pid]);

    const homes = readdirSync(kernel.layout.homes).length;
    const third = await refusal(kernel.processes.spawn({ network: false, gpus: 1 }));
    expect(third.code).toBe('E_LIMIT');
    expect(third.message).toBe('1 GPU requested but only 0 of 2 are free');
    // the refusal left nothing behind: no record, no home, no PID used
    expect(kernel.processes.list().map((p) => p.pid)).toEqual([first.pid, second.pid]);
    expect(readdirSync(kernel.layout.homes)).toHaveLength(homes);

    await kernel.processes.signal(first.pid, 'KILL');
    await waitFor(() => kernel.processes.get(first.pid).state === 'zombie', 5000, 'the zombie');
    await freed(kernel, [null, second.pid]); // once its sandbox is gone
    expect(kernel.processes.get(first.pid).gpus).toEqual([A]); // the record says what it had

    const next = await kernel.processes.spawn({ network: false, gpus: 1 });
    expect(next.pid).toBe(second.pid + 1);
    expect(next.gpus).toEqual([A]);
  });

  it('keeps an ended agent’s GPU until its sandbox is gone: a failed removal is logged and tried again', async () => {
    const kernel = await open();
    // the sandbox's removal fails once, as when a Docker daemon is away for a moment
    const create = kernel.sandbox.create.bind(kernel.sandbox);
    let failures = 1;
    vi.spyOn(kernel.sandbox, 'create').mockImplementation(async (spec) => {
      const sandbox = await create(spec);
      const destroy = sandbox.destroy.bind(sandbox);
      sandbox.destroy = async () => {
        if (failures-- > 0) throw new Error('the engine is away');
        await destroy();
      };
      return sandbox;
    });
    const agent = await kernel.processes.spawn({ network: false, gpus: [A] });
    await kernel.processes.signal(agent.pid, 'KILL');
    await waitFor(() => kernel.processes.get(agent.pid).state === 'zombie', 5000, 'the zombie');
    const failed = () =>
      kernel.store.latestEvents(agent.pid, 20).filter((e) => e.type === 'process.teardown.failed');
    await waitFor(() => failed().length === 1, 5000, 'the failed removal in the log');
    expect(failed()[0]!.payload).toMatchObject({ error: 'the engine is away', tries: 1, retryInMs: 1000 });
    // meanwhile its GPU is not anyone else's, reaped or not
    expect(await holders(kernel)).toEqual([agent.pid, null]);
    kernel.processes.reap(agent.pid);
    expect((await refusal(kernel.processes.spawn({ network: false, gpus: [A] }))).code).toBe('E_LIMIT');
    // the retry a second later removes it, and the GPU goes back
    await freed(kernel, [null, null]);
    expect((await kernel.processes.spawn({ network: false, gpus: [A] })).gpus).toEqual([A]);
  });

  it('gives GPUs by id, tells an agent’s CUDA which it holds, and frees them when the agent exits', async () => {
    const kernel = await open();
    const agent = await kernel.processes.spawn({ network: false, gpus: [B] });
    expect(agent.gpus).toEqual([B]);
    expect((await refusal(kernel.processes.spawn({ network: false, gpus: ['1'] }))).message).toBe(
      'GPU 1 is held by process 1: only 1 of 2 are free (0)',
    );
    expect((await refusal(kernel.processes.spawn({ network: false, gpus: ['5'] }))).code).toBe('E_NOT_FOUND');
    const env = (pid: number) =>
      kernel.processes.exec(pid, ['sh', '-c', 'echo "[$CUDA_VISIBLE_DEVICES]"'], {
        timeoutMs: 10_000,
        maxOutputBytes: 1000,
      });
    expect((await env(agent.pid)).stdout).toBe(`[${B}]\n`);
    const plain = await kernel.processes.spawn({ network: false });
    expect(plain.gpus).toEqual([]);
    expect((await env(plain.pid)).stdout).toBe('[]\n'); // no GPU of anyone else's

    // the shell ends by itself: the GPU goes back
    await kernel.terminals.get(agent.terminal!).session.write('exit 0\n');
    await waitFor(() => kernel.processes.get(agent.pid).state === 'zombie', 5000, 'the exit');
    await freed(kernel, [null, null]);
    kernel.processes.reap(agent.pid);
    expect((await kernel.processes.spawn({ network: false, gpus: 2 })).gpus).toEqual([A, B]);
  });

  it('stores each agent’s GPUs with its record, and frees those of agents lost in a crash', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'testing', 'gpuKernel.ts'), dir.path],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`the kernel exited with ${code}`)));
    });
    const agent = JSON.parse(line) as { pid: number; osPid: number; gpus: string[] };
    expect(agent.gpus).toEqual([A]);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const kernel = await open({ dataDir: dir.path });
    expect(kernel.processes.get(agent.pid)).toMatchObject({ state: 'dead', gpus: [A] });
    await waitFor(() => processTree(agent.osPid).length === 0, 5000, "the lost agent's processes gone");
    expect(await holders(kernel)).toEqual([null, null]); // the lost agent's GPU did not leak
    expect((await kernel.processes.spawn({ network: false, gpus: 2 })).gpus).toEqual([A, B]);
  });

  it('publishes gpu.stats while someone listens', async () => {
    const kernel = await open({ gpu: { pollMs: 30 } });
    const seen: unknown[] = [];
    const listener = kernel.events.on('gpu.*', (payload) => seen.push(payload));
    await waitFor(() => seen.length >= 2, 5000, 'gpu.stats events');
    listener.dispose();
    expect(seen[0]).toMatchObject({
      gpus: [
        { index: 0, uuid: A },
        { index: 1, uuid: B },
      ],
    });
  });

  it('without nvidia-smi: no GPUs, no noise, and a GPU spawn is refused saying so', async () => {
    const error = vi.spyOn(console, 'error');
    const warn = vi.spyOn(console, 'warn');
    const kernel = await open({ gpu: { nvidiaSmi: '/nonexistent/nvidia-smi', pollMs: 20 } });
    kernel.events.on('gpu.stats', () => {});
    expect(await kernel.gpus.list()).toEqual({ gpus: [], warning: null });
    const refused = await refusal(kernel.processes.spawn({ network: false, gpus: 1 }));
    expect(refused.code).toBe('E_LIMIT');
    expect(refused.message).toMatch(/no GPUs were detected/);
    expect(kernel.processes.list()).toEqual([]);
    expect((await kernel.processes.spawn({ network: false })).gpus).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(error).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
    expect(kernel.info().warnings.join('\n')).not.toMatch(/gpu|nvidia/i);
  });
});
