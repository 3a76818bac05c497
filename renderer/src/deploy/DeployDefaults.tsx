import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { DEFAULT_SANDBOX_IMAGE } from '../../../shared/protocol/index.js';
import { notify } from '../store/store.js';
import { Button } from '../ui/Button.js';
import {
  loadDeployDefaults,
  resetDeployDefaults,
  saveDeployDefaults,
  type DeployDefaults,
  type FieldErrors,
} from './form.js';
import './deploy.css';

const MODEL_PLACEHOLDER = { heuristic: '', gemini: 'gemini-2.5-flash', ollama: 'llama3.2' } as const;

/**
 * Settings › New agents: where and how agents run unless their deploy form says otherwise. Every deploy form starts
 * from these; presets and the form itself still change any of them for one agent.
 */
export function DeployDefaultsForm() {
  const base = useId();
  const [values, setValues] = useState<DeployDefaults>(() => loadDeployDefaults());
  const [errors, setErrors] = useState<FieldErrors>({});

  const set = <K extends keyof DeployDefaults>(key: K, value: DeployDefaults[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined }));
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    const result = saveDeployDefaults(values);
    if ('errors' in result) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    notify('success', 'Defaults saved', 'New agents start with them.');
  };
  const reset = () => {
    setValues(resetDeployDefaults());
    setErrors({});
    notify('info', 'Built-in defaults restored', 'New agents run on this host, without network.');
  };

  const id = (key: keyof DeployDefaults) => `${base}-${key}`;
  const field = (key: keyof DeployDefaults, label: string, input: ReactNode, hint?: string) => (
    <div className={`field${errors[key] ? ' invalid' : ''}`}>
      <label htmlFor={id(key)}>{label}</label>
      {input}
      {errors[key] ? (
        <span className="field-error" id={`${id(key)}-error`}>
          {errors[key]}
        </span>
      ) : (
        hint && <span className="field-hint">{hint}</span>
      )}
    </div>
  );
  const text = (
    key: 'model' | 'image' | 'memoryMiB' | 'cpus' | 'pids',
    placeholder: string,
    numeric = false,
  ) => (
    <input
      id={id(key)}
      name={key}
      value={values[key]}
      onChange={(e) => set(key, e.target.value)}
      placeholder={placeholder}
      inputMode={numeric ? 'decimal' : undefined}
      aria-invalid={errors[key] ? true : undefined}
      aria-describedby={errors[key] ? `${id(key)}-error` : undefined}
      autoComplete="off"
      spellCheck={false}
    />
  );

  return (
    <form className="deploy-defaults" onSubmit={save} aria-label="Defaults for new agents" noValidate>
      <fieldset className="field">
        <legend>Sandbox</legend>
        <div className="segmented">
          {(['host', 'docker'] as const).map((kind) => (
            <label key={kind} className={values.sandbox === kind ? 'checked' : ''}>
              <input
                type="radio"
                name={`${base}-sandbox`}
                value={kind}
                checked={values.sandbox === kind}
                onChange={() => set('sandbox', kind)}
              />
              {kind === 'host' ? 'Host (bubblewrap)' : 'Container (Docker)'}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="field checkbox-field">
        <label>
          <input
            type="checkbox"
            name="network"
            checked={values.network}
            onChange={(e) => set('network', e.target.checked)}
          />
          Network access
        </label>
        <span className="field-hint">Off by default: sandboxes reach nothing</span>
      </div>
      <h4>Containers</h4>
      {field('image', 'Image', text('image', DEFAULT_SANDBOX_IMAGE), `Empty for ${DEFAULT_SANDBOX_IMAGE}`)}
      <div className="grid-3">
        {field('memoryMiB', 'Memory (MiB)', text('memoryMiB', 'no limit', true))}
        {field('cpus', 'CPUs', text('cpus', 'no limit', true))}
        {field('pids', 'Processes', text('pids', 'no limit', true))}
      </div>
      <h4>Agents with a goal</h4>
      <div className="grid-3">
        {field(
          'provider',
          'Model provider',
          <select
            id={id('provider')}
            name="provider"
            value={values.provider}
            onChange={(e) => set('provider', e.target.value as DeployDefaults['provider'])}
          >
            <option value="heuristic">Offline planner</option>
            <option value="gemini">Gemini</option>
            <option value="ollama">Ollama (local)</option>
          </select>,
        )}
        {field(
          'model',
          'Model',
          text('model', MODEL_PLACEHOLDER[values.provider] || 'none needed'),
          values.provider === 'heuristic' ? 'The offline planner has no model' : 'Empty for the default',
        )}
        {field(
          'approvalPolicy',
          'Ask before acting',
          <select
            id={id('approvalPolicy')}
            name="approvalPolicy"
            value={values.approvalPolicy}
            onChange={(e) => set('approvalPolicy', e.target.value as DeployDefaults['approvalPolicy'])}
          >
            <option value="dangerous">When it looks dangerous</option>
            <option value="always">Always</option>
            <option value="never">Never</option>
          </select>,
        )}
      </div>
      <div className="button-row">
        <Button type="submit" variant="primary" icon="save">
          Save defaults
        </Button>
        <Button type="button" icon="refresh" onClick={reset}>
          Restore built-in defaults
        </Button>
      </div>
    </form>
  );
}
