import { lazy, memo, Suspense } from 'react';
import MissionControl from '../missionControl/MissionControl.js';
import { WindowIdContext } from './closeGuards.js';
import type { AppKind } from './windowManager.js';

// Mission Control is the first thing most people see: it comes with the page, so that its first paint waits for
// no second round of downloads. Heavy apps (xterm.js, CodeMirror) load when first opened.
const AgentVm = lazy(() => import('../agentVm/AgentVm.js'));
const TerminalApp = lazy(() => import('../apps/TerminalApp.js'));
const FilesApp = lazy(() => import('../apps/FilesApp.js'));
const SystemMonitor = lazy(() => import('../apps/SystemMonitor.js'));
const Settings = lazy(() => import('../apps/Settings.js'));

export interface AppProps {
  windowId: string;
  pid: number | undefined;
  tab: string | undefined;
  path: string | undefined;
  /** Visible to a person (not minimised, page not hidden): live views pause otherwise. */
  active: boolean;
}

/** The app inside a window; memoised so that moving or focusing the frame does not re-render the app. */
export const WindowContent = memo(function WindowContent({ kind, ...props }: AppProps & { kind: AppKind }) {
  return (
    // (apps find their window through it to keep it open over unsaved work: useCloseGuard)
    <WindowIdContext.Provider value={props.windowId}>
      <Suspense fallback={<div className="loading">Loading…</div>}>
        {kind === 'missionControl' && <MissionControl {...props} />}
        {kind === 'agentVm' && <AgentVm {...props} />}
        {kind === 'terminal' && <TerminalApp {...props} />}
        {kind === 'files' && <FilesApp {...props} mode="files" />}
        {kind === 'editor' && <FilesApp {...props} mode="editor" />}
        {kind === 'monitor' && <SystemMonitor />}
        {kind === 'settings' && <Settings {...props} />}
      </Suspense>
    </WindowIdContext.Provider>
  );
});
