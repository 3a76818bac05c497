import { lazy, Suspense } from 'react';
import type { AppProps } from '../desktop/WindowContent.js';
import { useHabitat, windows } from '../store/store.js';
import { Icon } from '../ui/Icon.js';
import { AgentPicker } from './AgentPicker.js';
import './apps.css';

const TerminalView = lazy(() => import('../terminal/TerminalView.js'));

/** A terminal on a host agent's shell: pick one, or start a new shell agent for the purpose. */
export default function TerminalApp({ windowId, pid }: AppProps) {
  const agent = useHabitat((s) => (pid === undefined ? undefined : s.agents[pid]));
  return (
    <div className="app app-terminal">
      <div className="app-toolbar">
        <AgentPicker
          pid={pid}
          onPick={(next) => windows.updateProps(windowId, { pid: next })}
          liveOnly
          hostOnly
        />
      </div>
      {agent?.terminal != null ? (
        <Suspense fallback={<div className="loading">Loading the terminal…</div>}>
          <TerminalView key={agent.terminal} terminal={agent.terminal} label={agent.name} />
        </Suspense>
      ) : (
        <div className="empty muted">
          <Icon name="terminal" size={36} />
          <p>
            {agent
              ? `${agent.name} has ended: its shell is closed.`
              : 'Choose a host agent, or start a new shell agent.'}
          </p>
        </div>
      )}
    </div>
  );
}
