import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_BATCH_MAX_BYTES,
  TerminalSession,
  type PtyDisposable,
  type PtyProcess,
  type PtySpawner,
} from './index.js';

/** Above any pid Linux can hand out (PID_MAX_LIMIT is 2^22), so signalling its group reaches nobody. */
const UNUSED_PID = 4_194_305;

class FakePty implements PtyProcess {
  readonly pid = UNUSED_PID;
  readonly written: string[] = [];
  private readonly dataListeners = new Set<(data: string) => void>();
  private readonly exitListeners = new Set<(event: { exitCode: number; signal?: number }) => void>();

  onData(listener: (data: string) => void): PtyDisposable {
    this.dataListeners.add(listener);
    return { dispose: () => void this.dataListeners.delete(listener) };
  }
  onExit(listener: (event: { exitCode: number; signal?: number }) => void): PtyDisposable {
    this.exitListeners.add(listener);
    return { dispose: () => void this.exitListeners.delete(listener) };
  }
  write(data: string): void {
    this.written.push(data);
  }
  resize(): void {}
  pause(): void {}
  resume(): void {}
  kill(): void {}

  print(data: string): void {
    for (const listener of this.dataListeners) listener(data);
  }
  exit(exitCode: number): void {
    for (const listener of this.exitListeners) listener({ exitCode, signal: 0 });
  }
  get listenerCount(): number {
    return this.dataListeners.size + this.exitListeners.size;
  }
}

describe('TerminalSession with an injected spawner', () => {
  afterEach(() => void vi.restoreAllMocks());

  it('hands the program over as given and writes input in surrogate-safe pieces', async () => {
    const pty = new FakePty();
    const spawner: PtySpawner = { spawn: vi.fn(() => pty) };
    const session = new TerminalSession(spawner, {
      file: 'bwrap',
      args: ['--die-with-parent', '--', '/bin/sh'],
      cols: 100,
      rows: 30,
      env: { HOME: '/home/agent' },
      writeChunkChars: 4,
    });
    expect(spawner.spawn).toHaveBeenCalledWith('bwrap', ['--die-with-parent', '--', '/bin/sh'], {
      cols: 100,
      rows: 30,
      name: 'xterm-256color',
      env: { HOME: '/home/agent' },
    });
    expect(session.osPid).toBe(UNUSED_PID);
    await Promise.all([session.write('abcdef😀gh'), session.write('!')]);
    expect(pty.written).toEqual(['abcd', 'ef😀', 'gh', '!']);
    pty.exit(0);
    await session.dispose();
  });

  it('delivers the last output before the exit, then never signals the ended group again', async () => {
    const pty = new FakePty();
    const session = new TerminalSession({ spawn: () => pty }, { file: 'anything' });
    let output = '';
    session.attach((data) => (output += data));
    pty.print('bye');
    const seenAtExit = new Promise<string>((resolve) => session.onExit(() => resolve(output)));
    pty.exit(5);
    expect(await session.exited()).toEqual({ exitCode: 5, signal: null });
    expect(await seenAtExit).toBe('bye');
    expect(pty.listenerCount).toBe(0);

    const kill = vi.spyOn(process, 'kill');
    session.kill('SIGTERM');
    await session.dispose();
    expect(kill).not.toHaveBeenCalled(); // the group id may belong to someone else by now
  });

  it('never lets the headless screen hold the program back: a flood reaches consumers, the screen shows its tail', async () => {
    const pty = new FakePty();
    const pause = vi.spyOn(pty, 'pause');
    const session = new TerminalSession({ spawn: () => pty }, { file: 'anything', cols: 40, rows: 5 });
    let received = 0;
    const consumer = session.attach((data) => {
      received += data.length;
      consumer.ack(data.length); // a viewer that keeps up
    });
    let printed = 0;
    for (let i = 0; i < 200_000; i++) {
      const line = `line ${i}\r\n`;
      pty.print(line);
      printed += line.length;
    }
    // all but the last partial batch, without waiting for xterm
    expect(received).toBeGreaterThan(printed - DEFAULT_BATCH_MAX_BYTES);
    expect(pause).not.toHaveBeenCalled();
    expect(session.isPaused).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the last batch's interval (16 ms in a flood)
    expect(received).toBe(printed);
    expect((await session.screen()).lines.slice(0, 4)).toEqual([
      'line 199996',
      'line 199997',
      'line 199998',
      'line 199999',
    ]);
    pty.exit(0);
    await session.dispose();
  });

  it('delivers the first output after a quiet interval at once, and paces output that keeps coming', async () => {
    const pty = new FakePty();
    const session = new TerminalSession({ spawn: () => pty }, { file: 'anything', batchIntervalMs: 300 });
    let output = '';
    session.attach((data) => (output += data));
    const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    pty.print('x'); // a keystroke's echo
    await nextTurn();
    expect(output).toBe('x');
    pty.print('y');
    await nextTurn();
    expect(output).toBe('x'); // within the interval: coalesced
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(output).toBe('xy');
    await new Promise((resolve) => setTimeout(resolve, 350));
    pty.print('z');
    await nextTurn();
    expect(output).toBe('xyz');
    pty.exit(0);
    await session.dispose();
  });

  it('reports a program that cannot be started as E_UNAVAILABLE', () => {
    const spawner: PtySpawner = {
      spawn: () => {
        throw new Error('no such file');
      },
    };
    expect(() => new TerminalSession(spawner, { file: '/nope' })).toThrow(
      expect.objectContaining({ code: 'E_UNAVAILABLE' }),
    );
  });
});
