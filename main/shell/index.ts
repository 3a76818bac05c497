// The desktop shell's logic, kept out of main/index.ts so it is tested under plain Node: windows, the app://
// protocol, links, tray, menu, notifications, shortcut, window state, updates and secrets.
export { applicationMenuTemplate, type MenuActions } from './appMenu.js';
export { appHandlers, type DesktopShell } from './appHandlers.js';
export { APP_CSP, APP_ORIGIN, APP_SCHEME, createAppProtocolHandler } from './appProtocol.js';
export { isAllowedExternal, openAllowedExternal } from './externalLinks.js';
export { BackgroundPolicy, quitLabel, type AllWindowsClosedStep } from './lifecycle.js';
export { AgentNotifier, type AgentNotification } from './notifications.js';
export { SecretStore, type Encryptor } from './secrets.js';
export { loadAppSettings, saveAppSettings, type AppSettings } from './appSettings.js';
export {
  DEFAULT_SHORTCUT,
  isValidAccelerator,
  registerShortcut,
  ShortcutSetting,
  type ShortcutState,
} from './shortcut.js';
export { followProcessesForTray, TRAY_TOPICS } from './trayEvents.js';
export { trayMenuTemplate, trayTooltip, type TrayActions, type TrayState } from './tray.js';
export { UpdateController, type Updater, type UpdateState } from './updates.js';
export { createWindow, hardenWebContents, windowUrl, type WindowKind } from './windowOptions.js';
export { fitToDisplays, loadWindowState, saveWindowState, type WindowState } from './windowState.js';
