import { describe, expect, it, vi } from 'vitest';
import { BackgroundPolicy, quitLabel } from './lifecycle.js';
import { trayMenuTemplate } from './tray.js';

describe('closing the last window', () => {
  it('keeps the app in the tray while agents live, saying so once, and quits when none does', () => {
    const policy = new BackgroundPolicy();
    expect(policy.onAllWindowsClosed('linux', 0)).toEqual({ action: 'quit' });
    const first = policy.onAllWindowsClosed('linux', 3);
    expect(first).toMatchObject({
      action: 'stay',
      notice: { title: 'Habitat keeps running: 3 agents still at work' },
    });
    expect(first.action === 'stay' && first.notice?.body).toMatch(/tray/);
    // the notice is for the first time only: closing the window again is a choice already explained
    expect(policy.onAllWindowsClosed('win32', 1)).toEqual({ action: 'stay' });
    expect(policy.onAllWindowsClosed('linux', 0)).toEqual({ action: 'quit' });
    expect(new BackgroundPolicy().onAllWindowsClosed('win32', 1)).toMatchObject({
      notice: { title: 'Habitat keeps running: 1 agent still at work' },
    });
  });

  it('follows macOS, where an app stays open without windows whatever runs', () => {
    const policy = new BackgroundPolicy();
    expect(policy.onAllWindowsClosed('darwin', 0)).toEqual({ action: 'stay' });
    expect(policy.onAllWindowsClosed('darwin', 4)).toEqual({ action: 'stay' });
  });

  it('makes the tray’s Quit the explicit way out, saying it stops the live agents', () => {
    expect(quitLabel(0)).toBe('Quit Habitat');
    expect(quitLabel(1)).toBe('Quit Habitat and Stop 1 Agent');
    const quit = vi.fn();
    const actions = { openMissionControl: vi.fn(), pauseAll: vi.fn(), resumeAll: vi.fn(), quit };
    const menu = trayMenuTemplate(
      { connected: true, agents: { total: 2, running: 1, stopped: 1, waiting: 0 } },
      actions,
    );
    const item = menu.find((m) => m.label === 'Quit Habitat and Stop 2 Agents')!;
    // no role: a role would replace the click with Electron's own quit
    expect(item.role).toBeUndefined();
    (item.click as () => void)();
    expect(quit).toHaveBeenCalledOnce();
  });
});
