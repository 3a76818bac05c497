import { useEffect, useLayoutEffect, useRef, type KeyboardEvent } from 'react';
import { useHabitat, ui, type MenuItem } from '../store/store.js';

/**
 * The one context menu of the desktop (right click, Shift+F10, the menu key): a WAI-ARIA menu. Arrows move,
 * Enter runs, Escape or a click elsewhere closes it and focus goes back where it was.
 */
export function ContextMenu() {
  const menu = useHabitat((s) => s.menu);
  const ref = useRef<HTMLDivElement>(null);
  const items = useRef<(HTMLButtonElement | null)[]>([]);

  useLayoutEffect(() => {
    // keep it on screen (before it is painted)
    const el = ref.current;
    if (!menu || !el) return;
    const { width, height } = el.getBoundingClientRect();
    el.style.left = `${Math.max(4, Math.min(menu.x, window.innerWidth - width - 4))}px`;
    el.style.top = `${Math.max(4, Math.min(menu.y, window.innerHeight - height - 4))}px`;
  }, [menu]);

  useEffect(() => {
    if (!menu) return;
    const previous = document.activeElement as HTMLElement | null;
    items.current.find((b) => b && !b.disabled)?.focus();
    const close = (event: Event) => {
      if (ref.current && event.target instanceof Node && ref.current.contains(event.target)) return;
      ui.closeMenu();
    };
    window.addEventListener('pointerdown', close, true);
    window.addEventListener('blur', ui.closeMenu);
    return () => {
      window.removeEventListener('pointerdown', close, true);
      window.removeEventListener('blur', ui.closeMenu);
      if (previous && document.contains(previous)) previous.focus();
    };
  }, [menu]);

  if (!menu) return null;

  const run = (item: MenuItem) => {
    ui.closeMenu();
    item.run();
  };
  const onKey = (event: KeyboardEvent) => {
    const enabled = items.current.filter((b): b is HTMLButtonElement => !!b && !b.disabled);
    const index = enabled.indexOf(document.activeElement as HTMLButtonElement);
    const go = (i: number) => enabled[(i + enabled.length) % enabled.length]?.focus();
    if (event.key === 'ArrowDown') go(index + 1);
    else if (event.key === 'ArrowUp') go(index - 1);
    else if (event.key === 'Home') go(0);
    else if (event.key === 'End') go(enabled.length - 1);
    else if (event.key === 'Escape' || event.key === 'Tab') ui.closeMenu();
    else return;
    event.preventDefault();
    event.stopPropagation();
  };

  return (
    <div
      ref={ref}
      className="context-menu"
      role="menu"
      aria-label={menu.label}
      style={{ left: menu.x, top: menu.y }}
      onKeyDown={onKey}
      onContextMenu={(event) => event.preventDefault()}
    >
      {menu.items.map((item, index) => (
        <div key={`${item.label}-${index}`} role="none">
          {item.separatorBefore && <div className="menu-separator" role="separator" />}
          <button
            ref={(el) => {
              items.current[index] = el;
            }}
            type="button"
            role="menuitem"
            className={`menu-item${item.danger ? ' danger' : ''}`}
            disabled={item.disabled}
            tabIndex={-1}
            onClick={() => run(item)}
          >
            <span>{item.label}</span>
            {item.shortcut && <kbd>{item.shortcut}</kbd>}
          </button>
        </div>
      ))}
    </div>
  );
}
