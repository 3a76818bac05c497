import { useId, useRef, useState, type FormEvent } from 'react';
import { DEFAULT_SANDBOX_IMAGE } from '../../../shared/protocol/index.js';
import { notify } from '../store/store.js';
import { Button } from '../ui/Button.js';
import { ErrorBox } from '../ui/ErrorBox.js';
import {
  ApprovalOptions,
  defaultModelOf,
  Field,
  NetworkCheckbox,
  ProviderOptions,
  SandboxChoice,
} from './fields.js';
import {
  BUILTIN_DEFAULTS,
  loadDeployDefaults,
  resetDeployDefaults,
  saveDeployDefaults,
  type DeployDefaults,
  type FieldErrors,
} from './form.js';
import './deploy.css';

type TextKey = 'model' | 'image' | 'memoryMiB' | 'cpus' | 'pids';

/**
 * Settings › New agents: where and how agents run unless their deploy form says otherwise. Every deploy form starts
 * from these; presets and the form itself still change any of them for one agent.
 */
export function DeployDefaultsForm() {
  const base = useId();
  const ref = useRef<HTMLFormElement>(null);
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
      const first = Object.keys(result.errors).find((key) => key in BUILTIN_DEFAULTS);
      if (first) ref.current?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
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
  // what the protocol refused about something this form has no field for (none today): said, not lost
  const unplaced = Object.entries(errors).filter(([key, error]) => error && !(key in BUILTIN_DEFAULTS));

  const id = (key: keyof DeployDefaults) => `${base}-${key}`;
  const text = (key: TextKey, placeholder: string, numeric = false) => (
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
  const field = (key: TextKey, label: string, placeholder: string, hint?: string, numeric = false) => (
    <Field id={id(key)} label={label} error={errors[key]} hint={hint}>
      {text(key, placeholder, numeric)}
    </Field>
  );

  return (
    <form
      ref={ref}
      className="deploy-defaults"
      onSubmit={save}
      aria-label="Defaults for new agents"
      noValidate
    >
      <SandboxChoice
        name={`${base}-sandbox`}
        value={values.sandbox}
        onChange={(kind) => set('sandbox', kind)}
      />
      <div className="field checkbox-field">
        <NetworkCheckbox checked={values.network} onChange={(on) => set('network', on)} />
      </div>
      <h4>Containers</h4>
      {field('image', 'Image', DEFAULT_SANDBOX_IMAGE, `Empty for ${DEFAULT_SANDBOX_IMAGE}`)}
      <div className="grid-3">
        {field('memoryMiB', 'Memory (MiB)', 'no limit', undefined, true)}
        {field('cpus', 'CPUs', 'no limit', undefined, true)}
        {field('pids', 'Processes', 'no limit', undefined, true)}
      </div>
      <h4>Agents with a goal</h4>
      <div className="grid-3">
        <Field id={id('provider')} label="Model provider" error={errors.provider}>
          <select
            id={id('provider')}
            name="provider"
            value={values.provider}
            onChange={(e) => {
              // a model belongs to its provider
              set('provider', e.target.value as DeployDefaults['provider']);
              set('model', '');
            }}
          >
            <ProviderOptions />
          </select>
        </Field>
        {field(
          'model',
          'Model',
          defaultModelOf(values.provider) || 'none needed',
          values.provider === 'heuristic' ? 'The offline planner has no model' : 'Empty for the default',
        )}
        <Field id={id('approvalPolicy')} label="Ask before acting" error={errors.approvalPolicy}>
          <select
            id={id('approvalPolicy')}
            name="approvalPolicy"
            value={values.approvalPolicy}
            onChange={(e) => set('approvalPolicy', e.target.value as DeployDefaults['approvalPolicy'])}
          >
            <ApprovalOptions />
          </select>
        </Field>
      </div>
      {unplaced.length > 0 && (
        <ErrorBox
          error={{ code: 'E_INVALID', message: unplaced.map(([, error]) => error).join('; ') }}
          title="These defaults cannot be saved"
        />
      )}
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
