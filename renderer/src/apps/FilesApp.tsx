import type { AppProps } from '../desktop/WindowContent.js';
import { FileBrowser } from '../files/FileBrowser.js';
import { windows } from '../store/store.js';
import { Icon } from '../ui/Icon.js';
import { AgentPicker } from './AgentPicker.js';
import './apps.css';

/** Files and the Editor: the same browser over an agent's home, laid out for browsing or for editing code. */
export default function FilesApp({ windowId, pid, path, mode }: AppProps & { mode: 'files' | 'editor' }) {
  return (
    <div className={`app app-${mode}`}>
      <div className="app-toolbar">
        <AgentPicker
          pid={pid}
          onPick={(next) => windows.updateProps(windowId, { pid: next, path: '.' })}
          liveOnly={false}
        />
      </div>
      {pid === undefined ? (
        <div className="empty muted">
          <Icon name={mode === 'editor' ? 'code' : 'folder'} size={36} />
          <p>Choose an agent whose home to open.</p>
        </div>
      ) : (
        <FileBrowser
          key={pid}
          pid={pid}
          path={path ?? '.'}
          onPathChange={(next) => windows.updateProps(windowId, { path: next })}
          layout={mode === 'editor' ? 'editor' : 'split'}
        />
      )}
    </div>
  );
}
