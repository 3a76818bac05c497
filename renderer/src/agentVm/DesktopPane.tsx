import type { ProcessInfo } from '../../../shared/protocol/index.js';
import { Icon } from '../ui/Icon.js';

/**
 * Where an agent's graphical desktop (noVNC, view-only or taken over) will show. The protocol has no display commands
 * yet; once it does, this pane renders the viewer for agents that have one and keeps this message for the rest.
 */
export function DesktopPane({ agent }: { agent: ProcessInfo }) {
  return (
    <div className="desktop-pane empty" data-testid="desktop-pane">
      <Icon name="monitor" size={40} />
      <h3>No graphical desktop</h3>
      <p className="muted">
        {agent.name} works in its terminal. Graphical agents, with a screen you can watch and take over,
        arrive with the display service.
      </p>
    </div>
  );
}
