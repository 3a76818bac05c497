import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openMissionControl(): void;
  openSmartBar(): void;
  checkForUpdates(): void;
  openDocs(): void;
}

/** The standard application menu, with the platform's own conventions (the app menu exists on macOS only). */
export function applicationMenuTemplate(
  platform: NodeJS.Platform,
  actions: MenuActions,
): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const updates: MenuItemConstructorOptions = {
    label: 'Check for Updates…',
    click: () => actions.checkForUpdates(),
  };
  return [
    ...(mac
      ? [
          {
            label: 'Habitat',
            submenu: [
              { role: 'about' },
              updates,
              { type: 'separator' },
              { role: 'hide' },
              { role: 'hideOthers' },
              { role: 'unhide' },
              { type: 'separator' },
              { role: 'quit' },
            ],
          } satisfies MenuItemConstructorOptions,
        ]
      : []),
    { label: 'File', submenu: [mac ? { role: 'close' } : { role: 'quit' }] },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { label: 'Mission Control', accelerator: 'CmdOrCtrl+1', click: () => actions.openMissionControl() },
        { label: 'Smart Bar', accelerator: 'CmdOrCtrl+K', click: () => actions.openSmartBar() },
        { type: 'separator' },
        { role: 'reload' },
        { role: 'togglefullscreen' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: 'Habitat Documentation', click: () => actions.openDocs() },
        ...(mac ? [] : [{ type: 'separator' } satisfies MenuItemConstructorOptions, updates]),
      ],
    },
  ];
}
