import { useState, type FormEvent } from 'react';
import type { ExecResult, ProcessInfo } from '../../../shared/protocol/index.js';
import { sendSignal, SIGNAL_ACTIONS } from '../store/actions.js';
import { api, errorText } from '../store/api.js';
import { isLive } from '../store/agents.js';
import { Button } from '../ui/Button.js';

/** Signals with what each does, a one-off command in the sandbox, and the facts about the process. */
export function ControlsView({ agent }: { agent: ProcessInfo }) {
  const live = isLive(agent);
  const [command, setCommand] = useState('');
  const [result, setResult] = useState<ExecResult | string | null>(null);
  const [running, setRunning] = useState(false);

  const exec = async (event: FormEvent) => {
    event.preventDefault();
    if (!command.trim() || running) return;
    setRunning(true);
    try {
      setResult(
        await api().call(
          'process.exec',
          { pid: agent.pid, argv: ['/bin/sh', '-c', command], timeoutMs: 60_000 },
          { timeoutMs: 70_000 },
        ),
      );
    } catch (e) {
      setResult(errorText(e));
    } finally {
      setRunning(false);
    }
  };

  const facts: [string, string][] = [
    ['PID', String(agent.pid)],
    ['Parent', agent.ppid === null ? '—' : String(agent.ppid)],
    ['State', `${agent.state} · ${agent.phase}`],
    ['Role', agent.role ?? '—'],
    ['Goal', agent.goal ?? '—'],
    [
      'Sandbox',
      `${agent.sandbox.kind} (${agent.sandbox.isolation})${agent.sandbox.engine ? ` on ${agent.sandbox.engine}` : ''}`,
    ],
    ['Network', agent.sandbox.network ? 'on' : 'off'],
    ['OS process', agent.sandbox.osPid === null ? '—' : String(agent.sandbox.osPid)],
    ['Container', agent.sandbox.containerId?.slice(0, 12) ?? '—'],
    ['GPUs', agent.gpus.length ? agent.gpus.join(', ') : 'none'],
    ['Terminal', agent.terminal === null ? '—' : String(agent.terminal)],
    ['Started', new Date(agent.createdAt).toLocaleString()],
    [
      'Ended',
      agent.endedAt
        ? `${new Date(agent.endedAt).toLocaleString()} · ${agent.exitReason ?? ''} (code ${agent.exitCode ?? '—'})`
        : '—',
    ],
  ];

  return (
    <div className="controls-view">
      <section aria-labelledby={`signals-${agent.pid}`}>
        <h3 id={`signals-${agent.pid}`}>Signals</h3>
        <ul className="signal-list">
          {SIGNAL_ACTIONS.map((action) => {
            const disabled =
              !live ||
              (action.signal === 'CONT'
                ? agent.state !== 'stopped'
                : action.signal === 'STOP'
                  ? agent.state === 'stopped'
                  : false);
            return (
              <li key={action.signal}>
                <Button
                  icon={action.icon}
                  variant={action.signal === 'KILL' ? 'danger' : 'default'}
                  disabled={disabled}
                  onClick={() => void sendSignal(agent, action.signal)}
                  data-testid={`signal-${action.signal}`}
                >
                  {action.label}
                </Button>
                <span className="muted">{action.help}</span>
              </li>
            );
          })}
        </ul>
      </section>
      <section aria-labelledby={`exec-${agent.pid}`}>
        <h3 id={`exec-${agent.pid}`}>Run a command</h3>
        <form className="exec-form" onSubmit={exec}>
          <input
            aria-label="Command to run in the sandbox"
            placeholder={live ? 'ls -la ~/Documents' : 'The agent has ended'}
            value={command}
            onChange={(e) => setCommand(e.target.value)}
            disabled={!live || agent.state !== 'running'}
            spellCheck={false}
          />
          <Button type="submit" disabled={!live || agent.state !== 'running' || running}>
            {running ? 'Running…' : 'Run'}
          </Button>
        </form>
        {result !== null &&
          (typeof result === 'string' ? (
            <p className="error-line" role="alert">
              {result}
            </p>
          ) : (
            <div className="exec-result" role="status">
              <span className={result.exitCode === 0 ? 'ok' : 'bad'}>
                {result.timedOut
                  ? 'timed out'
                  : result.signal
                    ? `signal ${result.signal}`
                    : `exit ${result.exitCode}`}{' '}
                · {Math.round(result.durationMs)} ms
              </span>
              <pre>{result.stdout + (result.stderr ? `\n${result.stderr}` : '') || '(no output)'}</pre>
            </div>
          ))}
      </section>
      <section aria-labelledby={`facts-${agent.pid}`}>
        <h3 id={`facts-${agent.pid}`}>Process</h3>
        <dl className="facts">
          {facts.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      </section>
    </div>
  );
}
