import { useId, useMemo, useState } from 'react';
import { api, errorText } from '../store/api.js';
import { isLive } from '../store/agents.js';
import { kernel, notify, useHabitat } from '../store/store.js';
import { Button } from '../ui/Button.js';

/** Which agent an app works on: a choice among agents, or a new host shell agent when there is none to choose. */
export function AgentPicker({
  pid,
  onPick,
  liveOnly,
  hostOnly = false,
}: {
  pid: number | undefined;
  onPick(pid: number): void;
  liveOnly: boolean;
  hostOnly?: boolean;
}) {
  const id = useId();
  const agents = useHabitat((s) => s.agents);
  const [starting, setStarting] = useState(false);
  const choices = useMemo(
    () =>
      Object.values(agents)
        .filter((a) => (!liveOnly || isLive(a)) && (!hostOnly || a.sandbox.kind === 'host'))
        .sort((a, b) => Number(isLive(b)) - Number(isLive(a)) || b.pid - a.pid),
    [agents, liveOnly, hostOnly],
  );

  const startShell = async () => {
    setStarting(true);
    try {
      const info = await api().call('process.spawn', { sandbox: 'host', role: 'shell', network: false });
      kernel.processChanges([info]);
      onPick(info.pid);
    } catch (e) {
      notify('error', 'Cannot start a shell agent', errorText(e));
    } finally {
      setStarting(false);
    }
  };

  return (
    <div className="agent-picker">
      <label htmlFor={id}>Agent</label>
      <select id={id} value={pid ?? ''} onChange={(e) => e.target.value && onPick(Number(e.target.value))}>
        <option value="">{choices.length ? 'Choose an agent…' : 'No agents'}</option>
        {choices.map((a) => (
          <option key={a.pid} value={a.pid}>
            {a.name} (#{a.pid}){isLive(a) ? '' : ' — ended'}
          </option>
        ))}
      </select>
      <Button size="sm" icon="plus" onClick={() => void startShell()} disabled={starting}>
        {starting ? 'Starting…' : 'New shell agent'}
      </Button>
    </div>
  );
}
