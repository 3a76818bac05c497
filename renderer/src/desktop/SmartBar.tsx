import { useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { sendSignal } from '../store/actions.js';
import { useHabitat, ui, windows } from '../store/store.js';
import { Icon, type IconName } from '../ui/Icon.js';
import { useFocusTrap } from '../ui/useFocusTrap.js';
import { buildCommands, rankCommands, type Command, type CommandIntent } from './smartBarCommands.js';

const GROUP_ICON: Record<Command['group'], IconName> = {
  Agents: 'box',
  Deploy: 'rocket',
  Apps: 'grid',
  Actions: 'zap',
};

export function run(intent: CommandIntent): void {
  switch (intent.type) {
    case 'deploy':
      return ui.openDeploy(intent.goal ? { goal: intent.goal } : {});
    case 'openApp':
      return windows.openApp(intent.kind);
    case 'openAgent':
      return windows.openAgent(intent.pid, intent.tab);
    case 'signal': {
      const agent = useHabitat.getState().agents[intent.pid];
      if (agent) void sendSignal(agent, intent.signal);
      return;
    }
    case 'theme':
      return ui.setTheme(intent.theme);
    case 'arrange':
      return windows.arrange();
    case 'closeAll':
      return windows.closeAll();
  }
}

/** Ctrl/Cmd+K: one field to deploy, open, jump to and act on anything, by keyboard alone (a WAI-ARIA combobox). */
export function SmartBar() {
  const open = useHabitat((s) => s.smartBarOpen);
  return open ? <SmartBarDialog /> : null;
}

function SmartBarDialog() {
  const agents = useHabitat((s) => s.agents);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const ref = useRef<HTMLDivElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  useFocusTrap(ref, ui.closeSmartBar);

  const results = useMemo(() => rankCommands(buildCommands(agents), query), [agents, query]);
  const current = Math.min(active, Math.max(0, results.length - 1));

  const choose = (command: Command | undefined) => {
    if (!command) return;
    ui.closeSmartBar();
    run(command.intent);
  };
  const onKey = (event: KeyboardEvent) => {
    const move = (to: number) => {
      event.preventDefault();
      const next = Math.max(0, Math.min(results.length - 1, to));
      setActive(next);
      listRef.current?.querySelector(`[data-index="${next}"]`)?.scrollIntoView({ block: 'nearest' });
    };
    if (event.key === 'ArrowDown') move(current + 1);
    else if (event.key === 'ArrowUp') move(current - 1);
    else if (event.key === 'PageDown') move(current + 8);
    else if (event.key === 'PageUp') move(current - 8);
    else if (event.key === 'Enter') {
      event.preventDefault();
      choose(results[current]);
    }
  };

  let lastGroup: string | undefined;
  return (
    <div
      className="overlay overlay-top"
      onPointerDown={(e) => e.target === e.currentTarget && ui.closeSmartBar()}
    >
      <div
        ref={ref}
        className="smartbar"
        role="dialog"
        aria-modal="true"
        aria-label="Smart Bar"
        data-testid="smartbar"
      >
        <div className="smartbar-field">
          <Icon name="search" size={18} />
          <input
            data-autofocus
            role="combobox"
            aria-expanded="true"
            aria-controls="smartbar-results"
            aria-activedescendant={results[current] ? `smartbar-${results[current].id}` : undefined}
            aria-autocomplete="list"
            aria-label="Search agents, apps and actions"
            placeholder="Deploy, open an app, jump to an agent, run an action…"
            value={query}
            onChange={(event) => {
              setQuery(event.target.value);
              setActive(0);
            }}
            onKeyDown={onKey}
            spellCheck={false}
            autoComplete="off"
          />
          <kbd>Esc</kbd>
        </div>
        <ul
          ref={listRef}
          id="smartbar-results"
          className="smartbar-results"
          role="listbox"
          aria-label="Results"
        >
          {results.length === 0 && <li className="smartbar-empty">Nothing matches.</li>}
          {results.map((command, index) => {
            const header = command.group !== lastGroup ? command.group : undefined;
            lastGroup = command.group;
            return (
              <li key={command.id} role="none">
                {header && (
                  <div className="smartbar-group" aria-hidden="true">
                    {header}
                  </div>
                )}
                <div
                  id={`smartbar-${command.id}`}
                  role="option"
                  aria-selected={index === current}
                  data-index={index}
                  className={`smartbar-option${index === current ? ' active' : ''}`}
                  onPointerMove={() => index !== current && setActive(index)}
                  onClick={() => choose(command)}
                >
                  <Icon name={GROUP_ICON[command.group]} size={16} />
                  <span className="smartbar-label">{command.label}</span>
                  {command.hint && <span className="smartbar-hint">{command.hint}</span>}
                  {index === current && <kbd>↵</kbd>}
                </div>
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}
