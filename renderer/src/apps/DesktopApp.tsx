import { useEffect, useState, type FormEvent } from 'react';
import type { ErrorValue } from '../../../shared/protocol/index.js';
import { api, toErrorValue } from '../store/api.js';
import { Button } from '../ui/Button.js';
import { ErrorBox } from '../ui/ErrorBox.js';

type UpdateState =
  | { state: 'idle' | 'checking' | 'none' }
  | { state: 'available' | 'ready'; version: string }
  | { state: 'downloading'; version: string; percent: number }
  | { state: 'error'; message: string };

/** Whether this page runs inside the desktop app (preload's window.habitat), where the app.* commands exist. */
export const inDesktopApp = (): boolean => typeof window !== 'undefined' && window.habitat !== undefined;

/** The desktop app's own settings: the model provider's key (kept in the OS keychain), updates, the shortcut. */
export function DesktopAppSettings() {
  return (
    <>
      <ApiKey />
      <Updates />
      <GlobalShortcut />
    </>
  );
}

function ApiKey() {
  const [stored, setStored] = useState<boolean | undefined>();
  const [value, setValue] = useState('');
  const [error, setError] = useState<ErrorValue>();
  const refresh = () =>
    api()
      .call('app.hasSecret', { name: 'gemini.apiKey' })
      .then(
        (r) => setStored(r.stored),
        (e: unknown) => setError(toErrorValue(e)),
      );
  useEffect(() => void refresh(), []);
  const save = (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    api()
      .call('app.setSecret', { name: 'gemini.apiKey', value: value.trim() })
      .then(
        () => (setValue(''), refresh()),
        (e: unknown) => setError(toErrorValue(e)),
      );
  };
  return (
    <form className="settings-form" onSubmit={save} aria-labelledby="gemini-key-title">
      <h4 id="gemini-key-title">Gemini API key</h4>
      <p className="muted">
        Stored encrypted with your system's keychain, never in plain text; agents that use Gemini get it.{' '}
        {stored === undefined ? '' : stored ? 'A key is stored.' : 'No key is stored.'}
      </p>
      <div className="button-row">
        <input
          type="password"
          autoComplete="off"
          aria-label="Gemini API key"
          placeholder="AIza…"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <Button type="submit" disabled={value.trim() === ''}>
          Save key
        </Button>
        {stored && (
          <Button
            type="button"
            onClick={() =>
              void api()
                .call('app.deleteSecret', { name: 'gemini.apiKey' })
                .then(refresh, (e: unknown) => setError(toErrorValue(e)))
            }
          >
            Forget key
          </Button>
        )}
      </div>
      {error && <ErrorBox error={error} title="The key was not saved" />}
    </form>
  );
}

function Updates() {
  const [update, setUpdate] = useState<UpdateState>({ state: 'idle' });
  const [error, setError] = useState<ErrorValue>();
  useEffect(() => api().subscribe('app.update', (state) => setUpdate(state as UpdateState)), []);
  const run = (command: 'app.checkUpdate' | 'app.downloadUpdate' | 'app.installUpdate') => {
    setError(undefined);
    api()
      .call(command, {})
      .catch((e: unknown) => setError(toErrorValue(e)));
  };
  const status: Record<UpdateState['state'], string> = {
    idle: 'Not checked yet.',
    checking: 'Checking…',
    none: 'Habitat is up to date.',
    available: `Version ${'version' in update ? update.version : ''} is available.`,
    downloading: `Downloading ${'version' in update ? update.version : ''}…`,
    ready: `Version ${'version' in update ? update.version : ''} is ready: restart to install it.`,
    error: `The update failed: ${'message' in update ? update.message : ''}`,
  };
  return (
    <section aria-labelledby="updates-title" data-testid="updates">
      <h4 id="updates-title">Updates</h4>
      <p role="status">{status[update.state]}</p>
      {update.state === 'downloading' && (
        <progress max={100} value={update.percent} aria-label="Download progress">
          {update.percent}%
        </progress>
      )}
      <div className="button-row">
        <Button onClick={() => run('app.checkUpdate')} disabled={update.state === 'checking'}>
          Check for updates
        </Button>
        {update.state === 'available' && <Button onClick={() => run('app.downloadUpdate')}>Download</Button>}
        {update.state === 'ready' && (
          <Button onClick={() => run('app.installUpdate')}>Restart and install</Button>
        )}
      </div>
      {error && <ErrorBox error={error} />}
    </section>
  );
}

function GlobalShortcut() {
  const [value, setValue] = useState('');
  // the shortcut as chosen (kept across runs by the app) and whether it is in force
  const [current, setCurrent] = useState<{ accelerator: string; registered: boolean }>();
  const [error, setError] = useState<ErrorValue>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    api()
      .call('app.getShortcut', {})
      .then(
        (shortcut) => (setCurrent(shortcut), setValue(shortcut.accelerator)),
        (e: unknown) => setError(toErrorValue(e)),
      );
  }, []);
  const save = (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setSaved(false);
    api()
      .call('app.setShortcut', { accelerator: value.trim() })
      .then(
        ({ accelerator }) => (setSaved(true), setCurrent({ accelerator, registered: true })),
        (e: unknown) => setError(toErrorValue(e)),
      );
  };
  return (
    <form className="settings-form" onSubmit={save} aria-labelledby="shortcut-title">
      <h4 id="shortcut-title">Global shortcut</h4>
      <p className="muted">
        Shows Mission Control from anywhere, even when Habitat is in the background.{' '}
        {current &&
          (current.registered
            ? `Now ${current.accelerator}.`
            : `${current.accelerator} is held by another application, so no shortcut works now: choose another.`)}
      </p>
      <div className="button-row">
        <input
          aria-label="Global shortcut"
          placeholder="CommandOrControl+Shift+Space"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <Button type="submit" disabled={value.trim() === ''}>
          Set shortcut
        </Button>
      </div>
      {saved && current && (
        <p role="status">Saved: {current.accelerator} from now on, also after a restart.</p>
      )}
      {error && <ErrorBox error={error} title="The shortcut was not set" />}
    </form>
  );
}
