import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import {
  DEFAULT_SANDBOX_IMAGE,
  DESKTOP_SANDBOX_IMAGE,
  type ErrorValue,
  type ImageInfo,
  type ProviderStatus,
} from '../../../shared/protocol/index.js';
import { api, toErrorValue } from '../store/api.js';
import { kernel, notify, ui, useHabitat, windows } from '../store/store.js';
import { Button, IconButton } from '../ui/Button.js';
import { ErrorBox } from '../ui/ErrorBox.js';
import { Icon } from '../ui/Icon.js';
import { useFocusTrap } from '../ui/useFocusTrap.js';
import {
  BUILTIN_PRESETS,
  deletePreset,
  loadPresets,
  newDeployForm,
  savePreset,
  toSpawnArgs,
  type DeployForm,
  type FieldErrors,
  type Preset,
  withPreset,
} from './form.js';
import {
  ApprovalOptions,
  defaultModelOf,
  Field,
  NetworkCheckbox,
  ProviderOptions,
  SandboxChoice,
} from './fields.js';
import { discardDraft, isDraft, keepDraft, openDraft } from './draft.js';
import './deploy.css';

/**
 * Deploy an agent: what it is, what it should do and where it runs; process.spawn does the rest. Loaded on demand
 * (DeployDialogSlot): its validation builds the spawn schemas, which the first paint need not wait for.
 */
export default function DeployDialog({ initialGoal }: { initialGoal: string }) {
  const ref = useRef<HTMLFormElement>(null);
  const failureRef = useRef<HTMLDivElement>(null);
  const base = useId();
  // what was typed before and not deployed comes back (see draft.ts); kept again at every change
  const [opening] = useState(() => openDraft(initialGoal));
  const [fresh] = useState(() => newDeployForm(''));
  const [form, setForm] = useState<DeployForm>(opening.form);
  const [replacedGoal, setReplacedGoal] = useState(opening.replacedGoal);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<ErrorValue | null>(null);
  const [busy, setBusy] = useState(false);
  const [openAfter, setOpenAfter] = useState(opening.openAfter);
  const [presets, setPresets] = useState<Preset[]>(loadPresets);
  const [presetName, setPresetName] = useState('');
  const [images, setImages] = useState<ImageInfo[] | string | null>(null);
  const freeGpus = useHabitat((s) => s.gpus.filter((g) => g.heldBy === null).length);
  const totalGpus = useHabitat((s) => s.gpus.length);
  useFocusTrap(ref, () => !busy && ui.closeDeploy());

  useEffect(() => keepDraft({ form, openAfter }, fresh), [form, openAfter, fresh]);
  const dirty = isDraft({ form, openAfter }, fresh);
  const discard = () => {
    discardDraft();
    ui.closeDeploy();
  };

  const docker = form.sandbox === 'docker';
  // a refusal appears below the fields: bring it into view
  useEffect(() => {
    if (failure) failureRef.current?.scrollIntoView({ block: 'nearest' });
  }, [failure]);
  useEffect(() => {
    if (!docker || images !== null) return;
    api()
      .call('image.list', {})
      .then(
        (result) => setImages(result.images),
        (error: unknown) => setImages(toErrorValue(error).message),
      );
  }, [docker, images]);

  // whether the chosen provider can run (a key, a local server) and its models: asked each time one is chosen, so
  // that a server started meanwhile counts
  const [checked, setChecked] = useState<{ name: string; status: ProviderStatus | 'unknown' } | null>(null);
  const wantsModel = form.goal.trim() !== '' && form.provider !== 'heuristic';
  useEffect(() => {
    if (!wantsModel) return;
    const name = form.provider;
    let current = true;
    api()
      .call('agent.providers', {})
      .then(
        (result) => result.providers.find((p) => p.name === name) ?? 'unknown',
        () => 'unknown' as const,
      )
      .then((status) => current && setChecked({ name, status }));
    return () => {
      current = false;
    };
  }, [wantsModel, form.provider]);
  const status = checked?.name === form.provider ? checked.status : undefined;
  const provider = typeof status === 'object' ? status : undefined;
  const providerWarning =
    status === 'unknown'
      ? 'Whether this provider is ready could not be checked: deploying will say.'
      : provider && !provider.ready
        ? `${provider.label} is not ready. ${provider.detail}`
        : '';

  const set = <K extends keyof DeployForm>(key: K, value: DeployForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const checked = toSpawnArgs(form);
    if ('errors' in checked) {
      setErrors(checked.errors);
      const first = Object.keys(checked.errors)[0];
      ref.current?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      // a container spawn may build its warm spare first: give it time
      const info = await api().call('process.spawn', checked.args, { timeoutMs: 120_000 });
      kernel.processChanges([info]);
      notify('success', `Deployed ${info.name}`, `#${info.pid} in a ${info.sandbox.kind} sandbox`, info.pid);
      discardDraft();
      ui.closeDeploy();
      if (openAfter) windows.openAgent(info.pid);
      else windows.openApp('missionControl');
    } catch (error) {
      setFailure(toErrorValue(error));
    } finally {
      setBusy(false);
    }
  };

  const applyPreset = (name: string) => {
    const preset = [...BUILTIN_PRESETS, ...presets].find((p) => p.name === name);
    if (!preset) return;
    setForm((f) => withPreset(f, preset));
    setErrors({});
  };

  const field = (key: keyof DeployForm, label: string, input: ReactNode, hint?: string) => (
    <Field id={`${base}-${key}`} label={label} error={errors[key]} hint={hint}>
      {input}
    </Field>
  );
  const inputProps = (key: keyof DeployForm) => ({
    id: `${base}-${key}`,
    name: key,
    'aria-invalid': errors[key] ? true : undefined,
    'aria-describedby': errors[key] ? `${base}-${key}-error` : undefined,
  });

  return (
    <div className="overlay" onPointerDown={(e) => e.target === e.currentTarget && !busy && ui.closeDeploy()}>
      <form
        ref={ref}
        className="dialog deploy-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${base}-title`}
        onSubmit={submit}
        noValidate
        data-testid="deploy-dialog"
      >
        <header className="dialog-header">
          <h2 id={`${base}-title`}>Deploy an agent</h2>
          <IconButton icon="x" label="Close" onClick={ui.closeDeploy} disabled={busy} />
        </header>

        <div className="dialog-body">
          {opening.restored && (
            <p className="field-hint draft-note" data-testid="deploy-draft-note">
              Restored what you typed before (Discard starts afresh).
              {replacedGoal !== undefined && (
                <>
                  {' '}
                  The goal was replaced by the one you asked for.
                  <Button
                    size="sm"
                    variant="ghost"
                    title={`Put back: ${replacedGoal}`}
                    onClick={() => {
                      set('goal', replacedGoal);
                      setReplacedGoal(undefined);
                    }}
                  >
                    Put the earlier goal back
                  </Button>
                </>
              )}
            </p>
          )}
          <div className="presets" role="group" aria-label="Presets">
            <label htmlFor={`${base}-preset`}>Preset</label>
            <select id={`${base}-preset`} value="" onChange={(e) => applyPreset(e.target.value)}>
              <option value="">Choose a preset…</option>
              <optgroup label="Built in">
                {BUILTIN_PRESETS.map((p) => (
                  <option key={p.name}>{p.name}</option>
                ))}
              </optgroup>
              {presets.length > 0 && (
                <optgroup label="Saved">
                  {presets.map((p) => (
                    <option key={p.name}>{p.name}</option>
                  ))}
                </optgroup>
              )}
            </select>
            {presets.length > 0 && (
              <ul className="preset-chips" aria-label="Saved presets">
                {presets.map((p) => (
                  <li key={p.name}>
                    <button type="button" className="chip" onClick={() => applyPreset(p.name)}>
                      {p.name}
                    </button>
                    <IconButton
                      icon="x"
                      label={`Delete preset ${p.name}`}
                      onClick={() => setPresets(deletePreset(presets, p.name))}
                    />
                  </li>
                ))}
              </ul>
            )}
          </div>

          <div className="grid-2">
            {field(
              'name',
              'Name',
              <input
                {...inputProps('name')}
                data-autofocus
                value={form.name}
                onChange={(e) => set('name', e.target.value)}
                placeholder="researcher-1"
                autoComplete="off"
              />,
              'Letters, digits, space, dot, dash; empty picks agent-<pid>',
            )}
            {field(
              'role',
              'Role',
              <input
                {...inputProps('role')}
                value={form.role}
                onChange={(e) => set('role', e.target.value)}
                placeholder="data analyst"
              />,
            )}
          </div>
          {field(
            'goal',
            'Goal',
            <textarea
              {...inputProps('goal')}
              rows={3}
              value={form.goal}
              onChange={(e) => set('goal', e.target.value)}
              placeholder="What should it do? (without a goal it is a shell you drive)"
            />,
          )}
          {form.goal.trim() !== '' && (
            <div className="grid-3" data-testid="deploy-run">
              {field(
                'provider',
                'Model provider',
                <select
                  {...inputProps('provider')}
                  aria-describedby={errors.provider ? `${base}-provider-error` : `${base}-provider-status`}
                  value={form.provider}
                  onChange={(e) => {
                    // a model belongs to its provider
                    set('provider', e.target.value as DeployForm['provider']);
                    set('model', '');
                  }}
                >
                  <ProviderOptions />
                </select>,
              )}
              {form.provider !== 'heuristic' &&
                field(
                  'model',
                  'Model',
                  <>
                    <input
                      {...inputProps('model')}
                      value={form.model}
                      onChange={(e) => set('model', e.target.value)}
                      placeholder={defaultModelOf(form.provider)}
                      list={`${base}-models`}
                    />
                    <datalist id={`${base}-models`}>
                      {provider?.models.map((m) => (
                        <option key={m} value={m} />
                      ))}
                    </datalist>
                  </>,
                )}
              {field(
                'approvalPolicy',
                'Ask before acting',
                <select
                  {...inputProps('approvalPolicy')}
                  value={form.approvalPolicy}
                  onChange={(e) => set('approvalPolicy', e.target.value as DeployForm['approvalPolicy'])}
                >
                  <ApprovalOptions />
                </select>,
              )}
            </div>
          )}
          {form.goal.trim() !== '' && (
            // always there while the run is: a screen reader announces what appears in it
            <p
              className="field-hint provider-warning"
              id={`${base}-provider-status`}
              role="status"
              data-testid="provider-warning"
            >
              {providerWarning && (
                <>
                  <Icon name="alert" size={14} /> {providerWarning}
                </>
              )}
            </p>
          )}

          <SandboxChoice name="sandbox" value={form.sandbox} onChange={(kind) => set('sandbox', kind)} />

          {docker && (
            <div className="docker-options">
              {field(
                'image',
                'Image',
                <>
                  <input
                    {...inputProps('image')}
                    list={`${base}-images`}
                    value={form.image}
                    onChange={(e) => set('image', e.target.value)}
                    placeholder={form.graphical ? DESKTOP_SANDBOX_IMAGE : DEFAULT_SANDBOX_IMAGE}
                  />
                  <datalist id={`${base}-images`}>
                    {Array.isArray(images) &&
                      images.map((image) => <option key={image.tag} value={image.tag} />)}
                  </datalist>
                </>,
                typeof images === 'string'
                  ? `Images unavailable: ${images}`
                  : Array.isArray(images)
                    ? `${images.length} sandbox image(s) on the engine`
                    : 'Loading images…',
              )}
              <div className="grid-3">
                {field(
                  'memoryMiB',
                  'Memory (MiB)',
                  <input
                    {...inputProps('memoryMiB')}
                    inputMode="decimal"
                    value={form.memoryMiB}
                    onChange={(e) => set('memoryMiB', e.target.value)}
                    placeholder="512"
                  />,
                )}
                {field(
                  'cpus',
                  'CPUs',
                  <input
                    {...inputProps('cpus')}
                    inputMode="decimal"
                    value={form.cpus}
                    onChange={(e) => set('cpus', e.target.value)}
                    placeholder="1"
                  />,
                )}
                {field(
                  'pids',
                  'Processes',
                  <input
                    {...inputProps('pids')}
                    inputMode="numeric"
                    value={form.pids}
                    onChange={(e) => set('pids', e.target.value)}
                    placeholder="256"
                  />,
                )}
              </div>
              <div className="grid-2" data-testid="deploy-graphical">
                <div className="field checkbox-field">
                  <label>
                    <input
                      type="checkbox"
                      name="graphical"
                      checked={form.graphical}
                      onChange={(e) => set('graphical', e.target.checked)}
                      aria-describedby={`${base}-graphical-hint`}
                    />
                    Graphical desktop
                  </label>
                  <span className="field-hint" id={`${base}-graphical-hint`}>
                    An X desktop in the container that you watch live and can take over
                  </span>
                </div>
                {form.graphical &&
                  field(
                    'screen',
                    'Screen size',
                    <input
                      {...inputProps('screen')}
                      value={form.screen}
                      onChange={(e) => set('screen', e.target.value)}
                      placeholder="1280x800"
                      autoComplete="off"
                      spellCheck={false}
                    />,
                    'Width x height in pixels; empty for 1280x800',
                  )}
              </div>
            </div>
          )}

          <div className="grid-2">
            {field(
              'gpus',
              'GPUs',
              <input
                {...inputProps('gpus')}
                type="number"
                min={0}
                max={freeGpus}
                value={form.gpus}
                onChange={(e) => set('gpus', e.target.value)}
                disabled={totalGpus === 0}
                placeholder="0"
              />,
              totalGpus === 0
                ? 'No GPUs on this host'
                : `${freeGpus} of ${totalGpus} free; held exclusively while it lives`,
            )}
            <div className="field checkbox-field">
              <NetworkCheckbox checked={form.network} onChange={(on) => set('network', on)} />
              <label>
                <input type="checkbox" checked={openAfter} onChange={(e) => setOpenAfter(e.target.checked)} />
                Open its window after deploying
              </label>
            </div>
          </div>

          {failure && (
            <div ref={failureRef}>
              <ErrorBox error={failure} title="The kernel refused to deploy it" />
            </div>
          )}
        </div>

        <footer className="dialog-footer">
          <div className="save-preset">
            <label className="sr-only" htmlFor={`${base}-preset-name`}>
              Preset name
            </label>
            <input
              id={`${base}-preset-name`}
              value={presetName}
              onChange={(e) => setPresetName(e.target.value)}
              placeholder="Preset name"
            />
            <Button
              size="sm"
              icon="save"
              disabled={!presetName.trim()}
              onClick={() => {
                setPresets(savePreset(presets, presetName.trim(), form));
                notify('info', `Preset "${presetName.trim()}" saved`);
                setPresetName('');
              }}
            >
              Save preset
            </Button>
          </div>
          {dirty && (
            <Button onClick={discard} disabled={busy} data-testid="deploy-discard">
              Discard
            </Button>
          )}
          {/* like Escape, the backdrop and the title bar's button: closes it, and the draft is kept */}
          <Button
            onClick={ui.closeDeploy}
            disabled={busy}
            title="Close it; what you typed is kept until you deploy or discard it"
          >
            Cancel
          </Button>
          <Button type="submit" variant="primary" icon="rocket" disabled={busy} data-testid="deploy-submit">
            {busy ? 'Deploying…' : 'Deploy'}
          </Button>
        </footer>
      </form>
    </div>
  );
}
