import { useCallback, useEffect, useRef, useState } from 'react';
import type { ErrorValue, ProviderStatus } from '../../../shared/protocol/index.js';
import { api, toErrorValue } from '../store/api.js';
import { Button } from '../ui/Button.js';
import { ErrorBox } from '../ui/ErrorBox.js';
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

  const check = useCallback(() => {
    if (checking.current) return;
    checking.current = true;
    setBusy(true);
    api()
      .call('agent.providers', {})
      .then(
        (r) => {
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
