import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { ErrorValue, ProviderStatus } from '../../../shared/protocol/index.js';
import { api, toErrorValue } from '../store/api.js';
import { Button } from '../ui/Button.js';
import { ErrorBox, errorIssues } from '../ui/ErrorBox.js';
import { ProgressLine } from '../ui/ProgressLine.js';
import { notify } from '../store/store.js';

/**
 * The model providers and whether each can drive an agent now, as the host finds them (a key, a local server and its
 * models). `onAddKey`, where given, opens the place a key is stored (the desktop app's keychain).
 */
export function Providers({ onAddKey }: { onAddKey?: () => void }) {
  const [providers, setProviders] = useState<ProviderStatus[] | null>(null);
  const [error, setError] = useState<ErrorValue | null>(null);
  // not `disabled` while busy: that would take the keyboard's focus away from the button just pressed
  const checking = useRef(false);
  const [busy, setBusy] = useState(false);

  // a check asked before a setting changed answers with the old statuses: such an answer is dropped
  const generation = useRef(0);
  const changed = useCallback((next: ProviderStatus[]) => {
    generation.current++;
    setProviders(next);
  }, []);

  const check = useCallback(() => {
    if (checking.current) return;
    checking.current = true;
    setBusy(true);
    const asked = generation.current;
    api()
      .call('agent.providers', {})
      .then(
        (r) => {
          if (asked !== generation.current) return;
          setProviders(r.providers);
          setError(null);
        },
        (e: unknown) => setError(toErrorValue(e)),
      )
      .finally(() => {
        checking.current = false;
        setBusy(false);
      });
  }, []);
  useEffect(check, [check]);

  return (
    <div className="providers" data-testid="providers">
      {error && <ErrorBox error={error} title="Providers cannot be checked" />}
      {providers === null && !error && <p className="muted">Checking the providers…</p>}
      {providers && (
        <ul className="provider-list" aria-label="Model providers">
          {providers.map((p) => (
            <li key={p.name} className="provider" data-testid={`provider-${p.name}`}>
              <div className="provider-head">
                <strong>{p.label}</strong>
                <span className={`badge badge-${p.ready ? 'completed' : 'paused'}`}>
                  <span className="badge-dot" aria-hidden="true" />
                  {p.ready ? 'Ready' : 'Not ready'}
                </span>
                {p.defaultModel && (
                  <span className="muted">
                    default model <code>{p.defaultModel}</code>
                  </span>
                )}
              </div>
              <p>{p.detail}</p>
              {p.models.length > 0 && (
                <ul className="provider-models" aria-label={`${p.label} models`}>
                  {p.models.map((m) => (
                    <li key={m} className="chip">
                      {m}
                    </li>
                  ))}
                </ul>
              )}
              {p.name === 'ollama' && <OllamaServer status={p} onChanged={changed} />}
              {p.name === 'ollama' && p.ready && p.defaultModelInstalled === false && p.defaultModel && (
                <PullModel model={p.defaultModel} onPulled={check} />
              )}
              {p.name === 'gemini' && !p.ready && onAddKey && (
                <Button size="sm" icon="key" onClick={onAddKey}>
                  Add a key
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="button-row">
        <Button icon="refresh" onClick={check} aria-disabled={busy || undefined}>
          {busy ? 'Checking…' : 'Check again'}
        </Button>
      </div>
    </div>
  );
}

const SERVER_FROM: Record<NonNullable<ProviderStatus['endpointFrom']>, string> = {
  settings: 'Saved here: the host keeps it in its data folder.',
  environment: 'From OLLAMA_HOST on the host: an address saved here takes its place.',
  default: 'The default: a server on the host itself.',
};

/** Where agents reach Ollama: an address saved here (the host keeps it), else OLLAMA_HOST, else the default. */
function OllamaServer({
  status,
  onChanged,
}: {
  status: ProviderStatus;
  onChanged: (providers: ProviderStatus[]) => void;
}) {
  const from = status.endpointFrom ?? 'default';
  // never filled in from the status: its address lacks any password, and saving it back would drop it
  const [value, setValue] = useState('');
  const [error, setError] = useState<ErrorValue | null>(null);
  const saving = useRef(false);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const input = useRef<HTMLInputElement>(null);

  const save = async (ollamaHost: string | null) => {
    if (saving.current) return;
    saving.current = true;
    setBusy(true);
    setError(null);
    try {
      const { providers } = await api().call('agent.setProviderSettings', { ollamaHost });
      onChanged(providers);
      if (ollamaHost === null) {
        setValue('');
        input.current?.focus(); // the button pressed is gone with the saved address
      }
      notify(
        'success',
        ollamaHost === null ? 'Ollama: back to the default server' : 'Ollama server saved',
        'Agents started or resumed from now on use it.',
      );
    } catch (e) {
      setError(toErrorValue(e));
    } finally {
      saving.current = false;
      setBusy(false);
    }
  };
  // a refused address is said beside the field; anything else (the host is away) in full below it
  const issue = error?.code === 'E_INVALID' ? issueMessages(error) : undefined;

  return (
    <form
      className="provider-server"
      aria-label="Ollama server"
      onSubmit={(event) => {
        event.preventDefault();
        void save(value.trim());
      }}
    >
      <label htmlFor={id}>Server address</label>
      <div className="provider-server-row">
        <input
          id={id}
          type="text"
          inputMode="url"
          spellCheck={false}
          autoComplete="off"
          value={value}
          placeholder={status.endpoint ?? 'http://127.0.0.1:11434'}
          ref={input}
          onChange={(event) => {
            setValue(event.target.value);
            if (issue) setError(null); // being corrected
          }}
          aria-invalid={issue ? true : undefined}
          aria-describedby={`${id}-hint`}
        />
        <Button type="submit" size="sm" aria-disabled={busy || undefined}>
          Save
        </Button>
        {from === 'settings' && (
          <Button size="sm" variant="ghost" onClick={() => void save(null)} aria-disabled={busy || undefined}>
            Use the default
          </Button>
        )}
      </div>
      <p
        id={`${id}-hint`}
        className={issue ? 'field-error' : 'field-hint'}
        role={issue ? 'alert' : undefined}
      >
        {issue ?? SERVER_FROM[from]}
      </p>
      {error && !issue && <ErrorBox error={error} title="The address was not saved" />}
    </form>
  );
}

/** What an E_INVALID says of each field, as one sentence; undefined where it names none. */
function issueMessages(error: ErrorValue): string | undefined {
  const messages = errorIssues(error).map((issue) => issue.message);
  return messages.length > 0 ? `The address ${messages.join('; ')}.` : undefined;
}

/** Pulls a model onto the Ollama server ahead of the agents that would pull it on their first turn, with progress. */
function PullModel({ model, onPulled }: { model: string; onPulled: () => void }) {
  const [progress, setProgress] = useState<{ status: string; percent?: number } | null>(null);
  const [error, setError] = useState<ErrorValue | null>(null);

  const pull = async () => {
    if (progress) return;
    setError(null);
    setProgress({ status: 'starting' });
    const off = api().subscribe('agent.pullProgress', (p) => {
      if (p.model === model)
        setProgress({ status: p.status, ...(p.percent !== undefined ? { percent: p.percent } : {}) });
    });
    try {
      // a pull takes minutes: no call timeout, progress says it is alive
      await api().call('agent.pullModel', { model }, { timeoutMs: 0 });
      notify('success', `Pulled ${model}`, 'Ollama agents can use it now.');
      onPulled();
    } catch (e) {
      setError(toErrorValue(e));
    } finally {
      off();
      setProgress(null);
    }
  };

  return (
    <>
      <Button
        size="sm"
        icon="download"
        onClick={() => void pull()}
        aria-disabled={progress !== null || undefined}
      >
        {progress ? `Pulling ${model}…` : `Pull ${model} now`}
      </Button>
      {progress && (
        <ProgressLine label={`Pulling ${model}`} percent={progress.percent}>
          {progress.status}
        </ProgressLine>
      )}
      {error && <ErrorBox error={error} title={`${model} was not pulled`} />}
    </>
  );
}
