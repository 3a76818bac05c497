import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ITheme } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { useResolvedTheme } from '../desktop/theme.js';
import { matchShortcut } from '../desktop/shortcuts.js';
import { api } from '../store/api.js';
import { terminalHub } from './hub.js';
import { takeChunk } from './inputChunks.js';
import './terminal.css';

const THEMES: Record<'dark' | 'light', ITheme> = {
  dark: {
    background: '#0b0e14',
    foreground: '#d6deeb',
    cursor: '#7aa2f7',
    selectionBackground: '#264f78',
    scrollbarSliderBackground: 'rgba(150, 160, 180, 0.16)',
    scrollbarSliderHoverBackground: 'rgba(150, 160, 180, 0.3)',
    scrollbarSliderActiveBackground: 'rgba(150, 160, 180, 0.4)',
    black: '#1d2330',
    brightBlack: '#4b5468',
  },
  light: {
    background: '#fbfbfd',
    foreground: '#1f2328',
    cursor: '#0969da',
    selectionBackground: '#b6d6fb',
    scrollbarSliderBackground: 'rgba(80, 90, 110, 0.14)',
    scrollbarSliderHoverBackground: 'rgba(80, 90, 110, 0.26)',
    scrollbarSliderActiveBackground: 'rgba(80, 90, 110, 0.36)',
    black: '#24292f',
    white: '#6e7781',
    brightWhite: '#8c959f',
    brightBlack: '#57606a',
    yellow: '#9a6700',
    brightYellow: '#7d4e00',
  },
};

/**
 * A full terminal: xterm.js with the fit addon. Output arrives through the TerminalHub and is acknowledged only from
 * xterm's write callback, once parsed; keystrokes go out as pty.input, at most one call in flight (what is typed
 * meanwhile follows in the next), so order holds and a fast typist does not flood the bridge.
 */
export default function TerminalView({ terminal, label }: { terminal: number; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const theme = useResolvedTheme();
  const [status, setStatus] = useState<string | null>('Connecting to the terminal…');

  useEffect(() => {
    const el = host.current!;
    const term = new Terminal({
      fontFamily: "'JetBrains Mono', 'Fira Code', 'DejaVu Sans Mono', Menlo, Consolas, monospace",
      fontSize: 13,
      lineHeight: 1.15,
      cursorBlink: true,
      scrollback: 5000,
      theme: THEMES[document.documentElement.dataset.theme === 'light' ? 'light' : 'dark'],
      allowProposedApi: false,
    });
    termRef.current = term;
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    term.textarea?.setAttribute('aria-label', `${label}: terminal input`);
    // the desktop's shortcuts win over the terminal (plain Ctrl+K stays with the shell: see shortcuts.ts)
    term.attachCustomKeyEventHandler((event) => !matchShortcut(event, true));

    let disposed = false;
    const refit = () => {
      if (disposed || el.clientWidth === 0 || el.clientHeight === 0) return; // hidden: keep the size it had
      try {
        fit.fit();
      } catch {
        // not laid out yet
      }
    };

    const unwatch = terminalHub().watch(terminal, {
      reset(replay) {
        setStatus(null);
        term.reset();
        if (replay) term.write(replay);
        refit();
        sendSize(term.cols, term.rows);
      },
      write(data, done) {
        term.write(data, done);
      },
      exited(exit) {
        term.write(
          `\r\n\x1b[2m[the program exited${exit.exitCode !== null ? ` with code ${exit.exitCode}` : ''}]\x1b[0m\r\n`,
        );
        setStatus('The terminal has ended.');
      },
      failed(message) {
        setStatus(`Cannot attach: ${message}`);
      },
    });

    // input: one pty.input in flight at a time, the rest batched behind it
    let queued = '';
    let sending = false;
    const pump = () => {
      if (sending || !queued || disposed) return;
      const data = takeChunk(queued);
      queued = queued.slice(data.length);
      sending = true;
      api()
        .call('pty.input', { terminal, data })
        .catch(() => setStatus('Input was not delivered: the terminal may have ended.'))
        .finally(() => {
          sending = false;
          pump();
        });
    };
    const onData = term.onData((data) => {
      queued += data;
      pump();
    });

    // size: the kernel's terminal follows this view (debounced: a drag resizes many times)
    let sizeTimer: ReturnType<typeof setTimeout> | undefined;
    let sentSize = '';
    function sendSize(cols: number, rows: number) {
      clearTimeout(sizeTimer);
      sizeTimer = setTimeout(() => {
        const key = `${cols}x${rows}`;
        if (disposed || key === sentSize) return;
        sentSize = key;
        api()
          .call('pty.resize', { terminal, cols, rows })
          .catch(() => {});
      }, 80);
    }
    const onResize = term.onResize(({ cols, rows }) => sendSize(cols, rows));
    const observer = new ResizeObserver(() => requestAnimationFrame(refit));
    observer.observe(el);
    refit();

    return () => {
      disposed = true;
      clearTimeout(sizeTimer);
      observer.disconnect();
      onData.dispose();
      onResize.dispose();
      unwatch();
      term.dispose();
      termRef.current = null;
    };
  }, [terminal, label]);

  useEffect(() => {
    if (termRef.current) termRef.current.options.theme = THEMES[theme];
  }, [theme]);

  return (
    <div className="terminal-view" data-testid="terminal-view" data-terminal={terminal}>
      {status && (
        <p className="terminal-status" role="status">
          {status}
        </p>
      )}
      <div ref={host} className="terminal-host" onClick={() => termRef.current?.focus()} />
    </div>
  );
}
