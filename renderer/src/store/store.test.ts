import { beforeEach, describe, expect, it, vi } from 'vitest';
import { bindStore } from './bind.js';
import { memoryStorage, KEYS } from './persist.js';
import { initialState, kernel, notices, notify, useHabitat, windows } from './store.js';
import { agent, display, FakeApi } from './testing.js';
import { startWorkspace } from './workspace.js';

const area = { w: 1200, h: 700 };
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

beforeEach(() => {
  useHabitat.setState({ ...initialState(), area });
});

describe('the store', () => {
  it('notifies when an agent ends, once, and counts unread notices until the centre is opened', () => {
    kernel.processes([agent(1, { name: 'scout' }), agent(2)]);
    expect(useHabitat.getState().notices).toEqual([]); // a snapshot tells nobody anything
    kernel.processChanges([
      agent(1, { name: 'scout', state: 'zombie', phase: 'failed', exitReason: 'killed by signal 9' }),
    ]);
    kernel.processChanges([
      agent(1, { name: 'scout', state: 'dead', phase: 'failed', exitReason: 'killed by signal 9' }),
    ]);
    const { notices: list, unread, toasts } = useHabitat.getState();
    expect(list.map((n) => [n.level, n.title, n.body, n.pid])).toEqual([
      ['error', 'scout failed', 'killed by signal 9', 1],
    ]);
    expect(unread).toBe(1);
    expect(toasts).toEqual([list[0]!.id]);
    notices.toggle(true);
    expect(useHabitat.getState().unread).toBe(0);
    notify('info', 'while open');
    expect(useHabitat.getState().unread).toBe(0);
    notices.dismissToast(list[0]!.id);
    expect(useHabitat.getState().toasts).not.toContain(list[0]!.id);
  });

  it('titles agent windows by name, also those restored before the table arrived', () => {
    windows.openAgent(5);
    expect(useHabitat.getState().wm.windows[0]!.title).toBe('#5');
    kernel.processes([agent(5, { name: 'writer' })]);
    expect(useHabitat.getState().wm.windows[0]!.title).toBe('writer (#5)');
    windows.openApp('files', { pid: 5 });
    expect(useHabitat.getState().wm.windows[1]!.title).toBe('Files — writer (#5)');
    // the Files app is one window: opening it again keeps its agent
    windows.openApp('files');
    expect(useHabitat.getState().wm.windows).toHaveLength(2);
    expect(useHabitat.getState().wm.windows[1]!.props.pid).toBe(5);
  });
});

describe('bindStore', () => {
  it('reads the facts on connect, then applies events in batches; a snapshot supersedes older events', async () => {
    const api = new FakeApi();
    const batches: (() => void)[] = [];
    const off = bindStore(api, (run) => batches.push(run));
    api.take('system.info').resolve({ version: '1', warnings: [] });
    api.take('gpu.list').resolve({ gpus: [], warning: null });
    // an event that arrives before the table's answer is older than it
    api.emit('process.changed', agent(1, { state: 'stopped' }));
    api.take('process.list').resolve({ processes: [agent(1), agent(2)] });
    await flush();
    batches.splice(0).forEach((run) => run());
    expect(useHabitat.getState().agents[1]!.state).toBe('running');

    api.emit('process.spawned', agent(3));
    api.emit('process.changed', agent(3, { phase: 'thinking' }));
    api.emit('process.changed', agent(2, { state: 'stopped' }));
    expect(batches).toHaveLength(1); // one frame for all three
    batches.splice(0).forEach((run) => run());
    const { agents } = useHabitat.getState();
    expect(agents[3]!.phase).toBe('thinking');
    expect(agents[2]!.state).toBe('stopped');
    expect(api.subscribed('gpu.stats')).toBe(false); // no GPUs: nvidia-smi is not polled for nothing
    off();
  });

  it('says when the connection drops and comes back, and reads everything again', async () => {
    const api = new FakeApi();
    bindStore(api, (run) => run());
    for (const c of api.calls.splice(0))
      c.resolve(
        c.command === 'process.list'
          ? { processes: [] }
          : c.command === 'gpu.list'
            ? { gpus: [{ uuid: 'GPU-1' }], warning: null }
            : { warnings: [] },
      );
    await flush();
    expect(api.subscribed('gpu.stats')).toBe(true);
    expect(useHabitat.getState().everConnected).toBe(true);
    api.setState('reconnecting');
    expect(useHabitat.getState().connection).toBe('reconnecting');
    api.setState('open');
    expect(useHabitat.getState().notices.map((n) => n.title)).toEqual([
      'Reconnected to the host',
      'Connection to the host lost',
    ]);
    expect(api.pending('process.list')).toHaveLength(1);
  });
});

describe('bindStore: approvals', () => {
  it('announces a waiting request once, and takes its toast away once it is decided (the notice stays)', async () => {
    const api = new FakeApi();
    const off = bindStore(api, (run) => run());
    const request = {
      id: 'r1',
      pid: 4,
      tool: 'run_command',
      args: { command: 'rm -rf build' },
      reasons: ['deletes recursively'],
      requestedAt: 1,
      expiresAt: 2,
    };
    api.emit('agent.approval', { change: 'requested', request });
    api.emit('agent.approval', { change: 'requested', request }); // the same again (a resync): no second notice
    const { notices: listed, toasts, approvals } = useHabitat.getState();
    expect(listed.map((n) => n.title)).toEqual(['Agent 4 waits for your approval']);
    expect(toasts).toEqual([listed[0]!.id]);
    expect(Object.keys(approvals)).toEqual(['r1']);

    api.emit('agent.approval', { change: 'resolved', request });
    expect(useHabitat.getState().toasts).toEqual([]);
    expect(useHabitat.getState().approvals).toEqual({});
    expect(useHabitat.getState().notices).toHaveLength(1);
    off();
  });
});

describe("bindStore: graphical agents' displays", () => {
  const docker = (pid: number, patch: Parameters<typeof agent>[1] = {}) =>
    agent(pid, { sandbox: { ...agent(pid).sandbox, kind: 'docker', isolation: 'container' }, ...patch });

  it('lists the displays on connect, follows vnc.started and vnc.stopped, and lists again after a reconnect', async () => {
    const api = new FakeApi();
    bindStore(api, (run) => run());
    api.take('process.list').resolve({ processes: [docker(1), docker(2)] });
    api.take('vnc.list').resolve({ displays: [display(1)] });
    await flush();
    expect(Object.keys(useHabitat.getState().displays)).toEqual(['1']);

    // (display events are checked by a schema that loads with the first of them, in order)
    api.emit('vnc.started.2', display(2, { width: 800, height: 600 }));
    await vi.waitFor(() =>
      expect(useHabitat.getState().displays[2]).toMatchObject({ state: 'ready', width: 800 }),
    );
    api.emit('vnc.started.3', { pid: 3, state: 'nonsense' }); // not a display: ignored
    api.emit('vnc.stopped.1', display(1, { state: 'ready', reason: 'first' }));
    api.emit('vnc.stopped.1', display(1, { state: 'failed', reason: 'Xvfb exited' }));
    await vi.waitFor(() =>
      expect(useHabitat.getState().displays[1]).toMatchObject({ state: 'failed', reason: 'Xvfb exited' }),
    );
    expect(useHabitat.getState().displays[3]).toBeUndefined();

    // events missed while the bridge was down: the list after reconnecting is the truth
    api.setState('reconnecting');
    api.setState('open');
    api.take('vnc.list').resolve({ displays: [display(2)] });
    await flush();
    expect(Object.keys(useHabitat.getState().displays)).toEqual(['2']);
  });

  it('asks once more about container agents that start, in one list for a burst of them', async () => {
    vi.useFakeTimers();
    try {
      const api = new FakeApi();
      bindStore(api, (run) => run());
      api.take('process.list').resolve({ processes: [] });
      api.take('vnc.list').resolve({ displays: [] });
      await vi.advanceTimersByTimeAsync(0);
      api.emit('process.spawned', docker(5, { state: 'created' }));
      api.emit('process.changed', docker(5));
      api.emit('process.changed', docker(6));
      api.emit('process.changed', agent(7)); // a host agent has no display
      await vi.advanceTimersByTimeAsync(300);
      api.take('vnc.list').resolve({ displays: [display(5, { state: 'starting' })] });
      await vi.advanceTimersByTimeAsync(0);
      expect(useHabitat.getState().displays[5]!.state).toBe('starting');
      // later changes of the same agents ask nothing more
      api.emit('process.changed', docker(5, { phase: 'thinking' }));
      await vi.advanceTimersByTimeAsync(300);
      expect(api.pending('vnc.list')).toHaveLength(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a kernel without displays leaves none', async () => {
    const api = new FakeApi();
    bindStore(api, (run) => run());
    api.take('vnc.list').reject(new Error('unknown command vnc.list'));
    await flush();
    expect(useHabitat.getState().displays).toEqual({});
  });
});

describe('the workspace', () => {
  it('opens Mission Control on a first visit, then restores windows, places and theme', async () => {
    const storage = memoryStorage();
    const stop = startWorkspace(area, storage);
    expect(useHabitat.getState().wm.windows.map((w) => w.kind)).toEqual(['missionControl']);
    windows.openApp('monitor');
    const monitor = useHabitat.getState().wm.focusedId!;
    windows.snap(monitor, 'right');
    useHabitat.setState({ theme: 'light' });
    stop(); // flushes what is pending
    expect(JSON.parse(storage.getItem(KEYS.theme)!)).toBe('light');

    useHabitat.setState({ ...initialState(), area });
    startWorkspace(area, storage)();
    const { wm, theme } = useHabitat.getState();
    expect(theme).toBe('light');
    expect(wm.windows.map((w) => w.kind)).toEqual(['missionControl', 'monitor']);
    expect(wm.windows[1]!.snap).toBe('right');
    expect(wm.focusedId).toBe(monitor);
  });
});

describe('error values', () => {
  it('keep the code of a HabitatError, and say E_INTERNAL for anything else', async () => {
    const { HabitatError } = await import('../../../shared/protocol/index.js');
    const { toErrorValue, errorText } = await import('./api.js');
    expect(toErrorValue(new HabitatError('E_NOT_FOUND', 'no image', { tag: 'x' }))).toEqual({
      code: 'E_NOT_FOUND',
      message: 'no image',
      details: { tag: 'x' },
    });
    expect(toErrorValue(new Error('boom'))).toEqual({ code: 'E_INTERNAL', message: 'boom' });
    expect(errorText({ code: 'E_LIMIT', message: 'only 1 GPU is free' })).toBe(
      'only 1 GPU is free (E_LIMIT)',
    );
  });
});
