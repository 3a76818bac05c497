import { useRef, type KeyboardEvent } from 'react';
import { Icon, type IconName } from './Icon.js';

export interface TabSpec {
  id: string;
  label: string;
  icon?: IconName;
}

export const tabId = (base: string, id: string) => `${base}-tab-${id}`;
export const panelId = (base: string, id: string) => `${base}-panel-${id}`;

/** What a tab panel needs to be tied to its tab. */
export function tabPanelProps(base: string, id: string, selected: string) {
  return {
    role: 'tabpanel',
    id: panelId(base, id),
    'aria-labelledby': tabId(base, id),
    hidden: id !== selected,
  } as const;
}

/** A WAI-ARIA tab list: arrows, Home and End move between tabs; panels use tabPanelProps with the same base. */
export function Tabs({
  base,
  tabs,
  selected,
  onSelect,
  label,
}: {
  base: string;
  tabs: TabSpec[];
  selected: string;
  onSelect(id: string): void;
  label: string;
}) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const move = (event: KeyboardEvent, index: number) => {
    const last = tabs.length - 1;
    const next =
      event.key === 'ArrowRight'
        ? index === last
          ? 0
          : index + 1
        : event.key === 'ArrowLeft'
          ? index === 0
            ? last
            : index - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? last
              : -1;
    if (next < 0) return;
    event.preventDefault();
    onSelect(tabs[next]!.id);
    refs.current[next]?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {tabs.map((tab, index) => (
        <button
          key={tab.id}
          ref={(el) => {
            refs.current[index] = el;
          }}
          type="button"
          role="tab"
          id={tabId(base, tab.id)}
          aria-controls={panelId(base, tab.id)}
          className="tab"
          aria-selected={tab.id === selected}
          tabIndex={tab.id === selected ? 0 : -1}
          onClick={() => onSelect(tab.id)}
          onKeyDown={(event) => move(event, index)}
        >
          {tab.icon && <Icon name={tab.icon} size={14} />}
          {tab.label}
        </button>
      ))}
    </div>
  );
}
