import type { ProcessInfo } from '../../../shared/protocol/index.js';
import { sendSignal } from '../store/actions.js';
import { availableActions } from '../store/agents.js';
import { hasDesktop } from '../store/displays.js';
import { useHabitat, windows, type MenuItem } from '../store/store.js';

/** What an agent's context menu offers, wherever the agent is shown (cards, rows, the System Monitor). */
export function agentMenuItems(agent: ProcessInfo): MenuItem[] {
  const can = availableActions(agent);
  return [
    { label: 'Open', run: () => windows.openAgent(agent.pid) },
    {
      label: 'Terminal',
      run: () => windows.openAgent(agent.pid, 'terminal'),
      disabled: agent.terminal === null,
    },
    {
      label: 'Desktop',
      run: () => windows.openAgent(agent.pid, 'desktop'),
      disabled: !hasDesktop(agent, useHabitat.getState().displays[agent.pid]),
    },
    { label: 'Files', run: () => windows.openAgent(agent.pid, 'files') },
    { label: 'Timeline', run: () => windows.openAgent(agent.pid, 'logs') },
    {
      label: 'Pause',
      run: () => void sendSignal(agent, 'STOP'),
      disabled: !can.pause,
      separatorBefore: true,
    },
    { label: 'Resume', run: () => void sendSignal(agent, 'CONT'), disabled: !can.resume },
    { label: 'Stop', run: () => void sendSignal(agent, 'TERM'), disabled: !can.stop },
    { label: 'Kill', run: () => void sendSignal(agent, 'KILL'), disabled: !can.stop, danger: true },
  ];
}
