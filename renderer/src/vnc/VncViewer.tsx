import { useEffect, useId, useRef, useState, type CSSProperties } from 'react';
import type { HabitatApi } from '../../../shared/client/index.js';
import type { VncMode } from '../../../shared/protocol/index.js';
import { Button } from '../ui/Button.js';
import type { Backoff } from './policy.js';
import { VncSession, type VncStatus } from './VncSession.js';
import './vnc.css';

export interface VncViewerProps {
  api: HabitatApi;
  /** The graphical agent's kernel PID. */
  pid: number;
  /** Whose desktop it is, for assistive technology ("scout's desktop"); default "agent <pid>". */
  label?: string;
  /**
   * 'thumbnail': scaled to fit, view-only, no controls (Mission Control's cards). 'full' (default): the interactive
   * view, view-only until the person takes over, with hand back and the clipboard.
   */
  variant?: 'thumbnail' | 'full';
  /** Where the host's proxy is when a ticket carries no URL; default the host that served the page. */
  base?: { protocol: string; host: string };
  backoff?: Backoff;
  className?: string;
  style?: CSSProperties;
  /** Every status change: connected, waiting for the display, reconnecting, in control… */
  onStatus?(status: VncStatus): void;
  /** As the viewer closes (unmounted): its canvas with the last frame it showed, if it had one. */
  onClose?(canvas: HTMLCanvasElement): void;
}

export const PHASE_LABEL: Record<VncStatus['phase'], string> = {
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
  label,
  variant = 'full',
  base,
  backoff,
  className,
  style,
  onStatus,
  onClose,
}: VncViewerProps) {
  const screen = useRef<HTMLDivElement>(null);
  const session = useRef<VncSession | undefined>(undefined);
  const statusListener = useRef(onStatus);
  statusListener.current = onStatus;
  const closeListener = useRef(onClose);
  closeListener.current = onClose;
  const [status, setStatus] = useState<VncStatus | undefined>(undefined);
  const thumbnail = variant === 'thumbnail';
  const hintId = useId();

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
      // the screen may be out of the page already, but its canvas still holds the last frame
      const canvas = target.querySelector('canvas');
      if (canvas && created.current.width !== undefined) closeListener.current?.(canvas);
      created.dispose();
      if (session.current === created) session.current = undefined;
    };
    // base and backoff are read when the session starts: a new object on each render must not reconnect it
  }, [api, pid, thumbnail]);

  const phase = status?.phase ?? 'connecting';
  const mode: VncMode = status?.mode ?? 'view';
  const who = label ?? `agent ${pid}`;
  return (
    <div
      className={['vnc-viewer', `vnc-${variant}`, className].filter(Boolean).join(' ')}
      style={style}
      data-testid={`vnc-${variant}-${pid}`}
      data-vnc-phase={phase}
      data-vnc-mode={mode}
      // a thumbnail sits inside a control that names it; the full view is a region of its own
      {...(thumbnail ? { 'aria-hidden': true } : { role: 'region', 'aria-label': `${who}'s desktop` })}
    >
      {!thumbnail && (
        <VncToolbar
          who={who}
          status={status}
          phase={phase}
          mode={mode}
          hintId={hintId}
          onTakeOver={() => void session.current?.setMode('control')}
          onHandBack={() => void session.current?.setMode('view')}
          onRetry={() => session.current?.retry()}
        />
      )}
      <div className="vnc-stage">
        <div
          className="vnc-screen"
          ref={screen}
          data-testid={`vnc-screen-${pid}`}
          {...(thumbnail
            ? {}
            : {
                role: 'application',
                'aria-label':
                  mode === 'control'
                    ? `${who}'s screen: keys and pointer go to the desktop`
                    : `${who}'s screen, view only`,
                'aria-describedby': hintId,
              })}
        />
        {phase !== 'connected' && (
          <div className="vnc-overlay" aria-hidden="true">
            {PHASE_LABEL[phase]}
            {!thumbnail && status?.message ? <span className="vnc-detail">{status.message}</span> : null}
          </div>
        )}
      </div>
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
  who: string;
  status: VncStatus | undefined;
  phase: VncStatus['phase'];
  mode: VncMode;
  hintId: string;
  onTakeOver(): void;
  onHandBack(): void;
  onRetry(): void;
}) {
  const { status, phase, mode } = props;
  const live = phase === 'connected';
  const retrying = phase === 'waiting' || phase === 'reconnecting' || phase === 'stopped';
  return (
    <div className="vnc-toolbar" role="toolbar" aria-label={`${props.who}'s desktop`}>
      <span className={`vnc-badge vnc-badge-${mode}`} data-testid="vnc-mode">
        {mode === 'control' ? 'You are in control' : 'Viewing'}
      </span>
      <span className={`vnc-phase vnc-phase-${phase}`} role="status" data-testid="vnc-phase">
        {PHASE_LABEL[phase]}
        {retrying && status && status.attempt > 1 ? ` (try ${status.attempt})` : ''}
        {!live && status?.message ? <span className="sr-only">: {status.message}</span> : null}
      </span>
      {live && status?.width && status.height ? (
        <span className="vnc-size" title="The agent's screen size">
          {status.width}×{status.height}
        </span>
      ) : null}
      <span className="vnc-hint" id={props.hintId}>
        {mode === 'control'
          ? 'Keys and pointer go to the desktop; Ctrl+` leaves it'
          : 'View only: take over to use the mouse and keyboard'}
      </span>
      <span className="vnc-spacer" />
      {retrying && (
        <Button size="sm" icon="refresh" onClick={props.onRetry} data-testid="vnc-retry">
          Retry now
        </Button>
      )}
      {mode === 'view' ? (
        <Button
          size="sm"
          variant="primary"
          icon="pointer"
          onClick={props.onTakeOver}
          disabled={!live}
          aria-describedby={props.hintId}
          data-testid="vnc-take-over"
        >
          Take over
        </Button>
      ) : (
        <Button
          size="sm"
          icon="eye"
          onClick={props.onHandBack}
          title="Give the desktop back to the agent and watch again"
          data-testid="vnc-hand-back"
        >
          Hand back
        </Button>
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
      <div className="vnc-clipboard-body">
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
        <Button
          size="sm"
          icon="upload"
          disabled={!props.canPaste || text === ''}
          onClick={() => props.onPaste(text)}
          title={props.canPaste ? undefined : 'Take over first: a viewer cannot write to the clipboard'}
          data-testid="vnc-clipboard-send"
        >
          Send to the desktop
        </Button>
      </div>
    </details>
  );
}
