import { lazy, Suspense, useState } from 'react';
import type { AppProps } from '../desktop/WindowContent.js';
import { FileBrowser } from '../files/FileBrowser.js';
import { AgentActions } from '../missionControl/AgentActions.js';
import { hasDesktop } from '../store/displays.js';
import { useHabitat, windows } from '../store/store.js';
import { StatusBadge } from '../ui/StatusBadge.js';
import { ApprovalPrompt } from './ApprovalPrompt.js';
import { tabPanelProps, Tabs, type TabSpec } from '../ui/Tabs.js';
import { ControlsView } from './ControlsView.js';
import { DesktopPane } from './DesktopPane.js';
import { LogsView } from './LogsView.js';
import './agentVm.css';

const TerminalView = lazy(() => import('../terminal/TerminalView.js'));

const TABS: TabSpec[] = [
  { id: 'terminal', label: 'Terminal', icon: 'terminal' },
  { id: 'files', label: 'Files', icon: 'folder' },
  { id: 'logs', label: 'Logs', icon: 'clock' },
  { id: 'desktop', label: 'Desktop', icon: 'monitor' },
  { id: 'controls', label: 'Controls', icon: 'sliders' },
];

/**
 * One agent as a machine of its own: its terminal, files, timeline, desktop and controls. The chosen tab and folder
 * live in the window's props, so a restored workspace reopens it where it was. Tabs stay mounted once shown: the
 * terminal keeps its scrollback when you look at the files.
 */
export default function AgentVm({ windowId, pid, tab, path, active }: AppProps) {
  const agent = useHabitat((s) => (pid === undefined ? undefined : s.agents[pid]));
  // the list sent with the page may predate an agent opened now: only the socket's own list says it is not there
  const loaded = useHabitat((s) => s.agentsLoaded && !s.agentsFromPage);
  const desktop = useHabitat((s) => {
    const display = pid === undefined ? undefined : s.displays[pid];
    return agent && hasDesktop(agent, display) ? display : undefined;
  });
  // a graphical agent opens on its desktop, the others on their terminal, unless a tab was chosen
  const selected = TABS.some((t) => t.id === tab) ? tab! : desktop ? 'desktop' : 'terminal';
  const [visited, setVisited] = useState<ReadonlySet<string>>(() => new Set([selected]));
  if (!visited.has(selected)) setVisited(new Set([...visited, selected]));

  if (pid === undefined || !agent) {
    return (
      <div className="empty muted">
        {loaded || pid === undefined ? `There is no agent #${pid ?? '?'}.` : 'Loading…'}
      </div>
    );
  }
  const base = `${windowId}-vm`;
  const select = (id: string) => windows.updateProps(windowId, { tab: id });
  return (
    <div className="agent-vm" data-testid="agent-vm" data-pid={pid}>
      <header className="vm-head">
        <div className="vm-title">
          <StatusBadge agent={agent} />
          <span className="muted">
            {agent.phase} · {agent.sandbox.kind === 'docker' ? 'container' : 'host'} (
            {agent.sandbox.isolation}){agent.gpus.length ? ` · ${agent.gpus.length} GPU` : ''}
            {desktop ? ` · desktop ${desktop.width}×${desktop.height}` : ''}
          </span>
          {agent.goal && (
            <span className="vm-goal" title={agent.goal}>
              {agent.goal}
            </span>
          )}
        </div>
        <AgentActions agent={agent} open={false} />
      </header>
      <ApprovalPrompt pid={agent.pid} />
      <Tabs base={base} tabs={TABS} selected={selected} onSelect={select} label={`${agent.name} views`} />
      <div className="vm-panels">
        <div className="vm-panel" {...tabPanelProps(base, 'terminal', selected)}>
          {visited.has('terminal') &&
            (agent.terminal === null ? (
              <div className="empty muted">
                <p>The agent has ended ({agent.exitReason ?? 'no reason given'}); its terminal is closed.</p>
                <button type="button" className="link" onClick={() => select('logs')}>
                  See its timeline
                </button>
              </div>
            ) : (
              <Suspense fallback={<div className="loading">Loading the terminal…</div>}>
                <TerminalView terminal={agent.terminal} label={agent.name} />
              </Suspense>
            ))}
        </div>
        <div className="vm-panel" {...tabPanelProps(base, 'files', selected)}>
          {visited.has('files') && (
            <FileBrowser
              key={pid}
              pid={pid}
              path={path ?? '.'}
              onPathChange={(next) => windows.updateProps(windowId, { path: next })}
              layout="split"
            />
          )}
        </div>
        <div className="vm-panel" {...tabPanelProps(base, 'logs', selected)}>
          {visited.has('logs') && <LogsView pid={pid} />}
        </div>
        <div className="vm-panel" {...tabPanelProps(base, 'desktop', selected)}>
          {visited.has('desktop') && (
            <DesktopPane agent={agent} visible={active && selected === 'desktop'} windowId={windowId} />
          )}
        </div>
        <div className="vm-panel" {...tabPanelProps(base, 'controls', selected)}>
          {visited.has('controls') && <ControlsView agent={agent} />}
        </div>
      </div>
    </div>
  );
}
