import { useEffect, useRef } from 'react';
import { notices, useHabitat, windows, type Notice } from '../store/store.js';
import { IconButton } from '../ui/Button.js';
import { Icon, type IconName } from '../ui/Icon.js';

const LEVEL_ICON: Record<Notice['level'], IconName> = {
  info: 'info',
  success: 'check',
  warning: 'alert',
  error: 'alert',
};
const TOAST_MS = 6000;

function NoticeBody({ notice }: { notice: Notice }) {
  return (
    <>
      <Icon name={LEVEL_ICON[notice.level]} size={16} className={`notice-icon level-${notice.level}`} />
      <div className="notice-text">
        <strong>{notice.title}</strong>
        {notice.body && <span>{notice.body}</span>}
        {notice.pid !== undefined && (
          <button type="button" className="link" onClick={() => windows.openAgent(notice.pid!, 'logs')}>
            Open its timeline
          </button>
        )}
      </div>
    </>
  );
}

/** The bell's panel: everything that happened (agents that ended or failed, refused actions, the connection). */
export function NotificationCenter() {
  const open = useHabitat((s) => s.noticesOpen);
  const list = useHabitat((s) => s.notices);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    ref.current?.focus();
    const close = (event: PointerEvent) => {
      const target = event.target as Element;
      if (!ref.current?.contains(target) && !target.closest('[aria-controls="notification-center"]'))
        notices.toggle(false);
    };
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && notices.toggle(false);
    window.addEventListener('pointerdown', close, true);
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('pointerdown', close, true);
      window.removeEventListener('keydown', onKey);
    };
  }, [open]);
  if (!open) return null;
  return (
    <div
      ref={ref}
      id="notification-center"
      className="notification-center"
      role="dialog"
      aria-label="Notifications"
      tabIndex={-1}
      data-testid="notification-center"
    >
      <header>
        <h2>Notifications</h2>
        {list.length > 0 && (
          <button type="button" className="link" onClick={notices.clear}>
            Clear all
          </button>
        )}
      </header>
      {list.length === 0 ? (
        <p className="muted empty">Nothing yet. Agents that finish or fail, and errors, show up here.</p>
      ) : (
        <ul className="notice-list">
          {list.map((notice) => (
            <li key={notice.id} className={`notice level-${notice.level}`}>
              <NoticeBody notice={notice} />
              <time className="notice-time" dateTime={new Date(notice.at).toISOString()}>
                {new Date(notice.at).toLocaleTimeString([], {
                  hour: '2-digit',
                  minute: '2-digit',
                  second: '2-digit',
                })}
              </time>
              <IconButton icon="x" label="Dismiss" onClick={() => notices.remove(notice.id)} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The latest few notices, for a few seconds each; errors are announced at once, the rest politely. */
export function Toasts() {
  const ids = useHabitat((s) => s.toasts);
  const list = useHabitat((s) => s.notices);
  const shown = ids.map((id) => list.find((n) => n.id === id)).filter((n): n is Notice => n !== undefined);
  return (
    <div className="toasts" role="region" aria-label="Recent notifications" aria-live="polite">
      {shown.map((notice) => (
        <Toast key={notice.id} notice={notice} />
      ))}
    </div>
  );
}

function Toast({ notice }: { notice: Notice }) {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const arm = () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => notices.dismissToast(notice.id), TOAST_MS);
  };
  // armed once per toast; pointing at it holds it, leaving re-arms it
  useEffect(() => {
    timer.current = setTimeout(() => notices.dismissToast(notice.id), TOAST_MS);
    return () => clearTimeout(timer.current);
  }, [notice.id]);
  return (
    <div
      className={`toast notice level-${notice.level}`}
      role={notice.level === 'error' ? 'alert' : 'status'}
      data-testid="toast"
      onPointerEnter={() => clearTimeout(timer.current)}
      onPointerLeave={arm}
    >
      <NoticeBody notice={notice} />
      <IconButton icon="x" label="Dismiss" onClick={() => notices.dismissToast(notice.id)} />
    </div>
  );
}
