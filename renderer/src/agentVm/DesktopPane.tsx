import { useState } from 'react';
import type { ProcessInfo } from '../../../shared/protocol/index.js';
import { api } from '../store/api.js';
import { isLive } from '../store/agents.js';
import { hasDesktop } from '../store/displays.js';
import { useHabitat, windows } from '../store/store.js';
import { Icon } from '../ui/Icon.js';
import { VncViewer } from '../vnc/index.js';

/**
 * An agent's graphical desktop: the noVNC viewer, view-only until the person takes over. While the tab is not shown
 * (another tab, a minimised window, a hidden page) a viewer that only watches is closed, so that a desktop nobody
 * sees costs nothing; one in control stays, so that looking at the files does not hand the desktop back.
 */
export function DesktopPane({
  agent,
  visible,
  windowId,
}: {
  agent: ProcessInfo;
  visible: boolean;
  windowId: string;
}) {
  const display = useHabitat((s) => s.displays[agent.pid]);
  const [inControl, setInControl] = useState(false);

  if (!hasDesktop(agent, display)) {
    return <NoDesktop agent={agent} hadOne={display !== undefined} windowId={windowId} />;
  }
  if (!visible && !inControl) {
    return (
      <div className="desktop-pane empty" data-testid="desktop-pane" data-paused="true">
        <p className="muted">The desktop view is paused while it is hidden.</p>
      </div>
    );
  }
  return (
    <div className="desktop-pane desktop-live" data-testid="desktop-pane" data-display-state={display.state}>
      <VncViewer
        api={api()}
        pid={agent.pid}
        label={agent.name}
        onStatus={(status) => setInControl(status.mode === 'control' && status.phase !== 'closed')}
      />
      {display.state === 'failed' && (
        <p className="desktop-note" role="alert">
          The display failed{display.reason ? `: ${display.reason}` : ''}. The view connects again if it comes
          back.
        </p>
      )}
    </div>
  );
}

function NoDesktop({ agent, hadOne, windowId }: { agent: ProcessInfo; hadOne: boolean; windowId: string }) {
  const ended = !isLive(agent);
  return (
    <div className="desktop-pane empty" data-testid="desktop-pane">
      <Icon name="monitor" size={40} />
      <h3>{hadOne || ended ? 'The desktop is closed' : 'No graphical desktop'}</h3>
      {ended ? (
        <p className="muted">{agent.name} has ended: its desktop went with it.</p>
      ) : hadOne ? (
        <p className="muted">{agent.name}'s display has stopped.</p>
      ) : (
        <p className="muted">
          {agent.name} works in its terminal. A graphical agent, with a screen you can watch and take over, is
          deployed with <strong>Graphical desktop</strong> (a container sandbox), or with{' '}
          <code>habitat spawn --sandbox docker --graphical</code>.
        </p>
      )}
      {agent.terminal !== null && (
        <button
          type="button"
          className="link"
          onClick={() => windows.updateProps(windowId, { tab: 'terminal' })}
        >
          Open its terminal
        </button>
      )}
    </div>
  );
}
