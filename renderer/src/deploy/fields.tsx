// The deploy form's fields that the deploy dialog and Settings › New agents both show, so that they say the same.
import type { ReactNode } from 'react';
import { DEFAULT_MODELS } from '../../../shared/protocol/index.js';
import type { DeployForm } from './form.js';

type ProviderName = DeployForm['provider'];

/** The model an agent of this provider gets when none is given; '' for the offline planner, which has none. */
export function defaultModelOf(provider: ProviderName): string {
  return provider === 'heuristic' ? '' : DEFAULT_MODELS[provider];
}

/** A labelled field with its error (which wins) or hint under it; ids follow `${id}-error`. */
export function Field({
  id,
  label,
  error,
  hint,
  children,
}: {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      ) : (
        hint && <span className="field-hint">{hint}</span>
      )}
    </div>
  );
}

export function SandboxChoice({
  name,
  value,
  onChange,
}: {
  name: string;
  value: DeployForm['sandbox'];
  onChange: (value: DeployForm['sandbox']) => void;
}) {
  return (
    <fieldset className="field">
      <legend>Sandbox</legend>
      <div className="segmented">
        {(['host', 'docker'] as const).map((kind) => (
          <label key={kind} className={value === kind ? 'checked' : ''}>
            <input
              type="radio"
              name={name}
              value={kind}
              checked={value === kind}
              onChange={() => onChange(kind)}
            />
            {kind === 'host' ? 'Host (bubblewrap)' : 'Container (Docker)'}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

export function NetworkCheckbox({
  checked,
  onChange,
}: {
  checked: boolean;
  onChange: (on: boolean) => void;
}) {
  return (
    <>
      <label>
        <input
          type="checkbox"
          name="network"
          checked={checked}
          onChange={(e) => onChange(e.target.checked)}
        />
        Network access
      </label>
      <span className="field-hint">Without it, a sandbox reaches nothing</span>
    </>
  );
}

export function ProviderOptions() {
  return (
    <>
      <option value="heuristic">Offline planner (no model, no network)</option>
      <option value="gemini">Gemini</option>
      <option value="ollama">Ollama (local)</option>
    </>
  );
}

export function ApprovalOptions() {
  return (
    <>
      <option value="dangerous">When it looks dangerous</option>
      <option value="always">Always</option>
      <option value="never">Never</option>
    </>
  );
}
