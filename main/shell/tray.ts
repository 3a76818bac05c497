import type { MenuItemConstructorOptions } from 'electron';
import { quitLabel } from './lifecycle.js';

export interface TrayState {
  connected: boolean;
  agents: { total: number; running: number; stopped: number; waiting: number };
}

export interface TrayActions {
  openMissionControl(): void;
  pauseAll(): void;
  resumeAll(): void;
  quit(): void;
}

export function trayTooltip(state: TrayState): string {
  if (!state.connected) return 'Habitat: the kernel is not running';
  const { running, total, waiting } = state.agents;
  const approvals = waiting > 0 ? `, ${waiting} waiting for you` : '';
  return `Habitat: ${running} of ${total} agents running${approvals}`;
}

/** The tray menu, rebuilt whenever the counts change. */
export function trayMenuTemplate(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  const { total, running, stopped, waiting } = state.agents;
  return [
    { label: trayTooltip(state), enabled: false },
    { label: `Running ${running} · Paused ${stopped} · Waiting ${waiting} · Total ${total}`, enabled: false },
    { type: 'separator' },
    { label: 'Open Mission Control', click: () => actions.openMissionControl() },
    { label: 'Pause All Agents', enabled: state.connected && running > 0, click: () => actions.pauseAll() },
    { label: 'Resume All Agents', enabled: state.connected && stopped > 0, click: () => actions.resumeAll() },
    { type: 'separator' },
    // the explicit way out: closing the windows leaves agents running in the tray (lifecycle.ts)
    { label: quitLabel(total), click: () => actions.quit() },
  ];
}
