import { useEffect, useRef, useState, type CSSProperties } from 'react';
import type { HabitatApi } from '../../../shared/client/index.js';
import type { VncMode } from '../../../shared/protocol/index.js';
import type { Backoff } from './policy.js';
import { VncSession, type VncStatus } from './VncSession.js';
import './vnc.css';

export interface VncViewerProps {
  api: HabitatApi;
  /** The graphical agent's kernel PID. */
  pid: number;
  /**
   * 'thumbnail': scaled to fit, view-only, no controls (Mission Control's grid). 'full' (default): the interactive
   * view, view-only until the person takes over, with hand back and the clipboard.
   */
  variant?: 'thumbnail' | 'full';
  /** Where the host's proxy is; default the host that served the page. */
  base?: { protocol: string; host: string };
  backoff?: Backoff;
  className?: string;
  style?: CSSProperties;
  /** Every status change: connected, waiting for the display, reconnecting, in control… */
  onStatus?(status: VncStatus): void;
}

const PHASE_LABEL: Record<VncStatus['phase'], string> = {
  connecting: 'Connecting…',
  connected: 'Live',
  waiting: 'Waiting for the display…',
  reconnecting: 'Reconnecting…',
  stopped: 'Stopped',
  closed: 'Closed',
};

/**
 * A graphical agent's desktop through noVNC. Self-contained: give it the API and a PID, size it with CSS; the
 * canvas scales to fit whatever box it gets.
 */
export function VncViewer({
  api,
  pid,
  variant = 'full',
  base,
  backoff,
  className,
  style,
  onStatus,
}: VncViewerProps) {
  const screen = useRef<HTMLDivElement>(null);
  const session = useRef<VncSession | undefined>(undefined);
  const statusListener = useRef(onStatus);
  statusListener.current = onStatus;
  const [status, setStatus] = useState<VncStatus | undefined>(undefined);
  const thumbnail = variant === 'thumbnail';

  useEffect(() => {
    const target = screen.current;
    if (!target) return;
    const created = new VncSession({
      api,
      pid,
      target,
      thumbnail,
      ...(base ? { base } : {}),
      ...(backoff ? { backoff } : {}),
      onStatus: (next) => {
        setStatus(next);
        statusListener.current?.(next);
      },
    });
    session.current = created;
    return () => {
      created.dispose();
      if (session.current === created) session.current = undefined;
    };
    // base and backoff are read when the session starts: a new object on each render must not reconnect it
  }, [api, pid, thumbnail]);

  const phase = status?.phase ?? 'connecting';
  const mode: VncMode = status?.mode ?? 'view';
  return (
    <div
      className={['vnc-viewer', `vnc-${variant}`, className].filter(Boolean).join(' ')}
      style={style}
      data-testid={`vnc-${variant}-${pid}`}
      data-vnc-phase={phase}
      data-vnc-mode={mode}
    >
      {!thumbnail && (
        <VncToolbar
          phase={phase}
          mode={mode}
          message={status?.message}
          onTakeOver={() => void session.current?.setMode('control').then(() => session.current?.focus())}
          onHandBack={() => void session.current?.setMode('view')}
        />
      )}
      <div className="vnc-screen" ref={screen} data-testid={`vnc-screen-${pid}`} />
      {phase !== 'connected' && (
        <div className="vnc-overlay" role="status">
          {PHASE_LABEL[phase]}
          {!thumbnail && status?.message ? <span className="vnc-detail">{status.message}</span> : null}
        </div>
      )}
      {!thumbnail && (
        <VncClipboard
          remote={status?.clipboard}
          canPaste={mode === 'control' && phase === 'connected'}
          onPaste={(text) => session.current?.paste(text)}
        />
      )}
    </div>
  );
}

function VncToolbar(props: {
  phase: VncStatus['phase'];
  mode: VncMode;
  message: string | undefined;
  onTakeOver(): void;
  onHandBack(): void;
}) {
  const live = props.phase === 'connected';
  return (
    <div className="vnc-toolbar">
      <span className={`vnc-badge vnc-badge-${props.mode}`} data-testid="vnc-mode">
        {props.mode === 'control' ? 'You are in control' : 'Viewing'}
      </span>
      <span className="vnc-phase" data-testid="vnc-phase">
        {PHASE_LABEL[props.phase]}
      </span>
      <span className="vnc-spacer" />
      {props.mode === 'view' ? (
        <button type="button" onClick={props.onTakeOver} disabled={!live} data-testid="vnc-take-over">
          Take over
        </button>
      ) : (
        <button type="button" onClick={props.onHandBack} data-testid="vnc-hand-back">
          Hand back
        </button>
      )}
    </div>
  );
}

/** The desktop's clipboard as it announced it, and text to send to it (control only). */
function VncClipboard(props: { remote: string | undefined; canPaste: boolean; onPaste(text: string): void }) {
  const [text, setText] = useState('');
  return (
    <details className="vnc-clipboard">
      <summary>Clipboard</summary>
      <label>
        From the desktop
        <textarea readOnly value={props.remote ?? ''} rows={2} data-testid="vnc-clipboard-remote" />
      </label>
      <label>
        To the desktop
        <textarea
          value={text}
          onChange={(e) => setText(e.target.value)}
          rows={2}
          data-testid="vnc-clipboard-local"
        />
      </label>
      <button
        type="button"
        disabled={!props.canPaste || text === ''}
        onClick={() => props.onPaste(text)}
        data-testid="vnc-clipboard-send"
      >
        Send to the desktop
      </button>
    </details>
  );
}

/** Mission Control's wall: a thumbnail per graphical agent, each scaled into its cell. */
export function VncWall({
  api,
  pids,
  onOpen,
}: {
  api: HabitatApi;
  pids: number[];
  onOpen?(pid: number): void;
}) {
  return (
    <div className="vnc-wall" data-testid="vnc-wall">
      {pids.map((pid) => (
        <button
          type="button"
          key={pid}
          className="vnc-cell"
          onClick={() => onOpen?.(pid)}
          aria-label={`agent ${pid}`}
        >
          <VncViewer api={api} pid={pid} variant="thumbnail" />
          <span className="vnc-caption">{pid}</span>
        </button>
      ))}
    </div>
  );
}
