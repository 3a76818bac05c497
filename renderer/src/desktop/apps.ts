import type { AppKind, WindowProps } from './windowManager.js';

/** The apps of the desktop: their names and the size they open at. Icons live in ui/Icon.tsx. */
export interface AppInfo {
  kind: AppKind;
  label: string;
  description: string;
  size: { w: number; h: number };
  /** Shown in the dock (agent windows appear there only while open). */
  inDock: boolean;
}

export const APPS: Record<AppKind, AppInfo> = {
  missionControl: {
    kind: 'missionControl',
    label: 'Mission Control',
    description: 'every agent at a glance',
    size: { w: 1180, h: 720 },
    inDock: true,
  },
  agentVm: {
    kind: 'agentVm',
    label: 'Agent VM',
    description: "an agent's terminal, files, logs and controls",
    size: { w: 960, h: 620 },
    inDock: false,
  },
  terminal: {
    kind: 'terminal',
    label: 'Terminal',
    description: "a host agent's shell",
    size: { w: 820, h: 520 },
    inDock: true,
  },
  files: {
    kind: 'files',
    label: 'Files',
    description: "browse an agent's home",
    size: { w: 860, h: 560 },
    inDock: true,
  },
  editor: {
    kind: 'editor',
    label: 'Editor',
    description: "edit code in an agent's home",
    size: { w: 980, h: 640 },
    inDock: true,
  },
  monitor: {
    kind: 'monitor',
    label: 'System Monitor',
    description: 'processes and resources',
    size: { w: 940, h: 600 },
    inDock: true,
  },
  settings: {
    kind: 'settings',
    label: 'Settings',
    description: 'theme, images, GPUs, about',
    size: { w: 820, h: 580 },
    inDock: true,
  },
};

export const DOCK_APPS: AppKind[] = ['missionControl', 'terminal', 'files', 'editor', 'monitor', 'settings'];

export function windowTitle(kind: AppKind, props: WindowProps, agentName?: string): string {
  const app = APPS[kind].label;
  if (props.pid === undefined) return app;
  const who = agentName ? `${agentName} (#${props.pid})` : `#${props.pid}`;
  return kind === 'agentVm' ? who : `${app} — ${who}`;
}
