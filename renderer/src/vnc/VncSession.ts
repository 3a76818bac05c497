import type RFB from '@novnc/novnc';
import type { HabitatApi } from '../../../shared/client/index.js';
import { VNC_SUBPROTOCOL, VNC_TOKEN_PREFIX, type VncMode } from '../../../shared/protocol/vncConnection.js';
import { toErrorValue } from '../store/api.js';
import { afterClose, afterOpenError, connectUrl, type Backoff, type NextStep } from './policy.js';

export type VncPhase = 'connecting' | 'connected' | 'waiting' | 'reconnecting' | 'stopped' | 'closed';

export interface VncStatus {
  phase: VncPhase;
  /** The mode of the connection (or of the one being made). */
  mode: VncMode;
  /** Failures in a row. */
  attempt: number;
  message: string | undefined;
  /** The remote desktop's size, once connected. */
  width: number | undefined;
  height: number | undefined;
  /** The desktop's clipboard, as it last announced it. */
  clipboard: string | undefined;
}

export interface VncSessionOptions {
  api: HabitatApi;
  pid: number;
  /** The element noVNC draws into (its canvas fills it). */
  target: HTMLElement;
  mode?: VncMode;
  /** Scaled to fit, view-only, lighter on the network: the grid's thumbnails. */
  thumbnail?: boolean;
  /** Where the proxy is when a ticket has no URL (default the page's own host: what served the UI serves /vnc). */
  base?: { protocol: string; host: string };
  backoff?: Backoff;
  onStatus?(status: VncStatus): void;
}

/**
 * One viewer of one agent's display: asks the kernel for a single-use ticket (vnc.open), opens the proxy's
 * WebSocket with the subprotocols `binary` and `habitat.vnc.<token>`, hands it to noVNC's RFB, and keeps it up:
 * a new ticket for every connection, reconnects with backoff, a wait for vnc.started while the display is away,
 * view-only after control is handed back. Takeover is explicit: setMode('control').
 */
export class VncSession {
  private rfb: RFB | undefined;
  private socket: WebSocket | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  /** Set by a takeover: the screen takes the keyboard once the control connection is up. */
  private focusOnConnect = false;
  private generation = 0;
  private readonly unsubscribe: () => void;
  private readonly offConnection: () => void;
  private status: VncStatus;

  constructor(private readonly options: VncSessionOptions) {
    this.status = {
      phase: 'connecting',
      mode: options.thumbnail ? 'view' : (options.mode ?? 'view'),
      attempt: 0,
      message: undefined,
      width: undefined,
      height: undefined,
      clipboard: undefined,
    };
    // A display that comes (back): connect now rather than at the end of a backoff.
    this.unsubscribe = options.api.subscribe(`vnc.started.${options.pid}`, () => {
      if (this.status.phase === 'waiting' || this.status.phase === 'reconnecting') this.connectSoon(0);
    });
    // The bridge back (a vnc.open that failed for want of it, or events missed while it was down): try now.
    this.offConnection = options.api.onConnectionChange((state) => {
      if (state === 'open' && (this.status.phase === 'waiting' || this.status.phase === 'reconnecting')) {
        this.connectSoon(0);
      }
    });
    this.connectSoon(0);
  }

  get current(): VncStatus {
    return this.status;
  }

  /** Take over (control) or go back to watching (view): a new connection in that mode. */
  async setMode(mode: VncMode): Promise<void> {
    if (this.options.thumbnail && mode === 'control') throw new Error('thumbnails are view-only');
    if (mode === this.status.mode && this.status.phase === 'connected') return;
    if (mode === 'view' && this.status.mode === 'control') {
      await this.options.api.call('vnc.handBack', { pid: this.options.pid }).catch(() => undefined);
    }
    this.focusOnConnect = mode === 'control';
    this.update({ mode, attempt: 0 });
    this.teardown();
    this.connectSoon(0);
  }

  /** Connects again now, in the same mode: after a stop (a refused origin) or to cut a backoff short. */
  retry(): void {
    if (this.disposed || this.status.phase === 'connected' || this.status.phase === 'connecting') return;
    this.update({ attempt: 0, message: undefined });
    this.teardown();
    this.connectSoon(0);
  }

  /** Sends text to the desktop's clipboard (control only: a view-only proxy drops it). */
  paste(text: string): void {
    if (this.status.mode !== 'control') return;
    this.rfb?.clipboardPasteFrom(text);
  }

  focus(): void {
    this.rfb?.focus({ preventScroll: true });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribe();
    this.offConnection();
    this.teardown();
    if (this.status.mode === 'control') {
      void this.options.api.call('vnc.handBack', { pid: this.options.pid }).catch(() => undefined);
    }
    this.update({ phase: 'closed' });
  }

  private connectSoon(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.disposed) return;
    this.timer = setTimeout(() => void this.connect(), delayMs);
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    const { api, pid } = this.options;
    const mode = this.status.mode;
    this.update({ phase: this.status.attempt === 0 ? 'connecting' : 'reconnecting' });
    let ticket;
    try {
      ticket = await api.call('vnc.open', { pid, mode }, { timeoutMs: 40_000 });
    } catch (error) {
      if (generation !== this.generation || this.disposed) return;
      // by its code, not instanceof: an error made in another bundle (preload's) is no HabitatError of this one, and
      // E_DENIED or E_INVALID read as E_INTERNAL would be retried for ever
      const { code, message } = toErrorValue(error);
      return this.follow(afterOpenError(code, message, mode, this.status.attempt, this.options.backoff));
    }
    // noVNC loads with the first viewer, not with the whole UI
    const { default: Rfb } = await import('@novnc/novnc');
    if (generation !== this.generation || this.disposed) return;
    const url = connectUrl(ticket, this.options.base ?? window.location);
    const socket = new WebSocket(url, [VNC_SUBPROTOCOL, `${VNC_TOKEN_PREFIX}${ticket.token}`]);
    this.socket = socket;
    // noVNC reports only whether a close was clean: the code, which says what happened, is read here.
    socket.addEventListener('close', (event) => {
      if (generation !== this.generation || this.disposed) return;
      this.teardown();
      this.follow(
        afterClose(event.code, event.reason, this.status.mode, this.status.attempt, this.options.backoff),
      );
    });
    const rfb = new Rfb(this.options.target, socket, { shared: true });
    this.rfb = rfb;
    rfb.viewOnly = mode === 'view';
    rfb.scaleViewport = true;
    rfb.clipViewport = false;
    rfb.resizeSession = false; // the agent's screen size is its own
    rfb.focusOnClick = !this.options.thumbnail && mode === 'control';
    rfb.background = 'transparent';
    if (this.options.thumbnail) {
      rfb.qualityLevel = 4;
      rfb.compressionLevel = 6;
    }
    rfb.addEventListener('connect', () => {
      if (generation !== this.generation) return;
      const canvas = this.options.target.querySelector('canvas');
      // in control the screen is a stop in the Tab order (keys typed there go to the desktop); watching, it is not
      if (canvas) canvas.tabIndex = mode === 'control' ? 0 : -1;
      if (this.focusOnConnect && mode === 'control') rfb.focus({ preventScroll: true });
      this.focusOnConnect = false;
      this.update({
        phase: 'connected',
        attempt: 0,
        message: undefined,
        width: canvas?.width,
        height: canvas?.height,
      });
    });
    rfb.addEventListener('clipboard', (event) => {
      if (generation === this.generation) this.update({ clipboard: event.detail.text });
    });
  }

  private follow(step: NextStep): void {
    if (this.disposed) return;
    const attempt = this.status.attempt + 1;
    switch (step.kind) {
      case 'retry':
        this.update({ phase: 'reconnecting', mode: step.mode, attempt, message: step.message });
        this.connectSoon(step.delayMs);
        break;
      case 'wait':
        this.update({ phase: 'waiting', attempt, message: step.message });
        this.connectSoon(step.delayMs);
        break;
      case 'stop':
        this.update({ phase: 'stopped', message: step.message });
        break;
      case 'done':
        break;
    }
  }

  private teardown(): void {
    this.generation++;
    clearTimeout(this.timer);
    const rfb = this.rfb;
    this.rfb = undefined;
    this.socket = undefined;
    try {
      rfb?.disconnect();
    } catch {
      // already down
    }
  }

  private update(change: Partial<VncStatus>): void {
    this.status = { ...this.status, ...change };
    this.options.onStatus?.(this.status);
  }
}
