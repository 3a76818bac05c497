import { beforeEach, describe, expect, it } from 'vitest';
import { bindStore } from './bind.js';
import { memoryStorage, KEYS } from './persist.js';
import { initialState, kernel, notices, notify, useHabitat, windows } from './store.js';
import { agent, FakeApi } from './testing.js';
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
