import type { ProcessInfo } from '../../../shared/protocol/index.js';
import { sendSignal } from '../store/actions.js';
import { availableActions } from '../store/agents.js';
import { inDesktopApp } from '../apps/DesktopApp.js';
import { api } from '../store/api.js';
import { windows } from '../store/store.js';
import { IconButton } from '../ui/Button.js';

/** Pause or resume, stop, kill and open: the same four buttons on cards, rows and the Agent VM's header. */
export function AgentActions({ agent, open = true }: { agent: ProcessInfo; open?: boolean }) {
  const can = availableActions(agent);
  const who = agent.name;
  return (
    <div className="agent-actions" role="group" aria-label={`Actions for ${who}`}>
      {can.resume ? (
        <IconButton
          icon="play"
          label={`Resume ${who}`}
          onClick={() => void sendSignal(agent, 'CONT')}
          data-action="resume"
        />
      ) : (
        <IconButton
          icon="pause"
          label={`Pause ${who}`}
          onClick={() => void sendSignal(agent, 'STOP')}
          disabled={!can.pause}
          data-action="pause"
        />
      )}
      <IconButton
        icon="stop"
        label={`Stop ${who}`}
        onClick={() => void sendSignal(agent, 'TERM')}
        disabled={!can.stop}
        data-action="stop"
      />
      <IconButton
        icon="zap"
        label={`Kill ${who}`}
        variant="ghost"
        className="danger-hover"
        onClick={() => void sendSignal(agent, 'KILL')}
        disabled={!can.stop}
        data-action="kill"
      />
      {open && (
        <IconButton
          icon="eye"
          label={`Open ${who}`}
          onClick={() => windows.openAgent(agent.pid)}
          data-action="open"
        />
      )}
      {open && inDesktopApp() && agent.state !== 'dead' && (
        <IconButton
          icon="layout"
          label={`Open ${who} in its own window`}
          onClick={() =>
            void api()
              .call('app.detachWindow', { pid: agent.pid })
              .catch(() => undefined)
          }
          data-action="detach"
        />
      )}
    </div>
  );
}
