import { describe, expect, it, vi } from 'vitest';
import type { ProcessState } from '../../shared/protocol/index.js';
import { appHandlers } from '../shell/appHandlers.js';
import { answerAppCommand, forwardAppCommands, type KernelFacts } from './appCommands.js';

/** The kernel process's forwarder wired to main's real app.* handlers, as the desktop app runs them. */
function desktopPath(processes: Record<number, ProcessState>) {
  const detach = vi.fn();
  const main = appHandlers(
    {
      detach,
      setTheme: () => undefined,
      setShortcut: () => ({ ok: true }),
      getShortcut: () => ({ accelerator: 'CommandOrControl+Shift+Space', registered: true }),
      updates: {} as never,
      secrets: {} as never,
    },
    () => true, // main trusts the kernel's check, having no process table of its own
  );
  const facts: KernelFacts = {
    process: (pid) => (processes[pid] ? { pid, name: `agent-${pid}`, state: processes[pid] } : undefined),
  };
  const forwarded = vi.fn();
  const forwarder = forwardAppCommands((message) => {
    if (message.type !== 'app.call') return;
    forwarded(message.command);
    void answerAppCommand(main, message, (m) => m.type === 'app.result' && forwarder.settle(m));
  }, facts);
  const detachWindow = forwarder.handlers['app.detachWindow'] as (args: { pid: number }) => Promise<unknown>;
  return { detachWindow, detach, forwarded };
}

describe('app.detachWindow', () => {
  it('opens a window for a live agent, in any live state', async () => {
    const path = desktopPath({ 1: 'running', 2: 'stopped', 3: 'sleeping', 4: 'created' });
    for (const pid of [1, 2, 3, 4]) expect(await path.detachWindow({ pid })).toEqual({});
    expect(path.detach.mock.calls.map(([pid]) => pid as number)).toEqual([1, 2, 3, 4]);
  });

  it('refuses a PID that does not exist, and never asks main', async () => {
    const path = desktopPath({ 1: 'running' });
    await expect(path.detachWindow({ pid: 424242 })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      message: 'there is no agent with PID 424242',
    });
    expect(path.forwarded).not.toHaveBeenCalled();
    expect(path.detach).not.toHaveBeenCalled();
  });

  it('refuses an agent that has ended, saying so', async () => {
    const path = desktopPath({ 5: 'zombie', 6: 'dead' });
    await expect(path.detachWindow({ pid: 5 })).rejects.toMatchObject({
      code: 'E_CONFLICT',
      message: 'agent-5 (PID 5) has ended (zombie): only a running agent opens in a window of its own',
    });
    await expect(path.detachWindow({ pid: 6 })).rejects.toMatchObject({ code: 'E_CONFLICT' });
    expect(path.detach).not.toHaveBeenCalled();
  });
});
