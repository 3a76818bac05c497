// The deploy form's values, how they become process.spawn's arguments, and saved presets: pure and tested.
import type { z } from 'zod';
import {
  AgentProviderSchema,
  ApprovalPolicySchema,
  describeIssues,
  SandboxKindSchema,
  SpawnArgsSchema,
  type CommandArgs,
} from '../../../shared/protocol/index.js';
import { KEYS, readJson, removeKey, writeJson, type KeyValueStorage } from '../store/persist.js';

export interface DeployForm {
  name: string;
  role: string;
  goal: string;
  /** How a goal is worked on (only with a goal): the model provider, its model, when to ask a person. */
  provider: 'heuristic' | 'gemini' | 'ollama';
  model: string;
  approvalPolicy: 'never' | 'dangerous' | 'always';
  sandbox: 'host' | 'docker';
  image: string;
  network: boolean;
  /** MiB, as typed. */
  memoryMiB: string;
  cpus: string;
  pids: string;
  /** How many GPUs, as typed ('' or '0' for none). */
  gpus: string;
  /** A graphical desktop (container sandboxes only), and its screen size as typed ('' for the default 1280x800). */
  graphical: boolean;
  screen: string;
}

export const EMPTY_FORM: DeployForm = {
  name: '',
  role: '',
  goal: '',
  provider: 'heuristic',
  model: '',
  approvalPolicy: 'dangerous',
  sandbox: 'host',
  image: '',
  network: false,
  memoryMiB: '',
  cpus: '',
  pids: '',
  gpus: '',
  graphical: false,
  screen: '',
};

export type SpawnArgs = CommandArgs<'process.spawn'>;
export type FieldErrors = Partial<Record<keyof DeployForm, string>>;

const FIELD_OF: Record<string, keyof DeployForm> = { memoryBytes: 'memoryMiB', cpus: 'cpus', pids: 'pids' };

/** What ScreenSizeSchema (shared/protocol/process.ts) accepts, said in the form's words. */
const SCREEN_BOUNDS = 'from 320x200 to 7680x4320';

/** `1280x800` (or `1280 × 800`) to a screen size; undefined if it is not one. The protocol checks the bounds. */
export function parseScreenSize(text: string): { width: number; height: number } | undefined {
  const match = /^(\d{1,5})\s*[xX×]\s*(\d{1,5})$/.exec(text.trim());
  return match ? { width: Number(match[1]), height: Number(match[2]) } : undefined;
}

/**
 * The spawn arguments a form asks for, or the errors to show next to its fields. Checked with the protocol's own
 * schema, so the form refuses exactly what the kernel would, before a round trip.
 */
export function toSpawnArgs(form: DeployForm): { args: SpawnArgs } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const number = (field: keyof DeployForm, text: string, integer: boolean): number | undefined => {
    if (text.trim() === '') return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      errors[field] = integer ? 'a whole number above 0' : 'a number above 0';
      return undefined;
    }
    return value;
  };
  const docker = form.sandbox === 'docker';
  const memory = docker ? number('memoryMiB', form.memoryMiB, false) : undefined;
  if (memory !== undefined && memory < 16) errors.memoryMiB = 'at least 16 MiB';
  const cpus = docker ? number('cpus', form.cpus, false) : undefined;
  const pids = docker ? number('pids', form.pids, true) : undefined;
  const graphical = docker && form.graphical;
  let screen: { width: number; height: number } | undefined;
  if (graphical && form.screen.trim() !== '') {
    screen = parseScreenSize(form.screen);
    if (!screen) errors.screen = 'width x height, like 1280x800';
  }
  const gpuText = form.gpus.trim();
  const gpus = gpuText === '' || gpuText === '0' ? undefined : number('gpus', gpuText, true);
  const args: SpawnArgs = {
    sandbox: form.sandbox,
    network: form.network,
    ...(form.name.trim() ? { name: form.name.trim() } : {}),
    ...(form.role.trim() ? { role: form.role.trim() } : {}),
    ...(form.goal.trim()
      ? {
          goal: form.goal.trim(),
          provider: form.provider,
          approvalPolicy: form.approvalPolicy,
          ...(form.model.trim() ? { model: form.model.trim() } : {}),
        }
      : {}),
    ...(docker && form.image.trim() ? { image: form.image.trim() } : {}),
    ...(memory !== undefined ? { memoryBytes: Math.round(memory * 1024 * 1024) } : {}),
    ...(cpus !== undefined ? { cpus } : {}),
    ...(pids !== undefined ? { pids } : {}),
    ...(gpus !== undefined ? { gpus } : {}),
    ...(graphical ? { graphical: screen ?? true } : {}),
  };
  const parsed = SpawnArgsSchema.safeParse(args);
  if (!parsed.success) {
    for (const issue of describeIssues(parsed.error)) {
      if (issue.path === 'memoryBytes' && errors.memoryMiB) continue;
      if (issue.path.startsWith('graphical')) {
        errors.screen ??= SCREEN_BOUNDS;
        continue;
      }
      const field = (FIELD_OF[issue.path] ?? issue.path) as keyof DeployForm;
      errors[field in EMPTY_FORM ? field : 'name'] ??= issue.message;
    }
  }
  return Object.keys(errors).length > 0 ? { errors } : { args };
}

export interface Preset {
  name: string;
  /** What it sets; a field it leaves out keeps what the form had (the defaults, or what was typed). */
  form: Partial<Omit<DeployForm, 'name'>>;
}

/** Built in: each sets only what it is about, so that the defaults (Settings › New agents) still hold for the rest. */
export const BUILTIN_PRESETS: Preset[] = [
  { name: 'Shell on this host', form: { role: 'shell', sandbox: 'host', graphical: false } },
  {
    name: 'Container, 1 CPU, 512 MiB',
    form: { sandbox: 'docker', memoryMiB: '512', cpus: '1', pids: '256', graphical: false },
  },
  {
    name: 'Graphical desktop, 1280x800',
    form: { sandbox: 'docker', graphical: true, screen: '', memoryMiB: '1024' },
  },
];

/** A preset applied to a form: the agent's name stays, and so does a goal the preset has none for. */
export function withPreset(form: DeployForm, preset: Preset): DeployForm {
  return { ...form, ...preset.form, name: form.name, goal: preset.form.goal || form.goal };
}

export function loadPresets(storage?: KeyValueStorage): Preset[] {
  const data = readJson(KEYS.presets, storage);
  if (!Array.isArray(data)) return [];
  return data.flatMap((raw): Preset[] => {
    if (typeof raw !== 'object' || raw === null) return [];
    const { name, form } = raw as { name?: unknown; form?: unknown };
    if (typeof name !== 'string' || typeof form !== 'object' || form === null) return [];
    const merged = { ...EMPTY_FORM, ...(form as Partial<DeployForm>) };
    const { name: _ignored, ...rest } = merged;
    return [{ name, form: rest }];
  });
}

/** Saves (or replaces, by name) a preset; the agent's own name is never part of one. */
export function savePreset(
  presets: Preset[],
  name: string,
  form: DeployForm,
  storage?: KeyValueStorage,
): Preset[] {
  const { name: _agentName, ...rest } = form;
  const next = [...presets.filter((p) => p.name !== name), { name, form: rest }];
  writeJson(KEYS.presets, next, storage);
  return next;
}

export function deletePreset(presets: Preset[], name: string, storage?: KeyValueStorage): Preset[] {
  const next = presets.filter((p) => p.name !== name);
  writeJson(KEYS.presets, next, storage);
  return next;
}

/** Where and how a new agent runs unless its deploy form says otherwise (Settings › New agents). */
export type DeployDefaults = Pick<
  DeployForm,
  'provider' | 'model' | 'approvalPolicy' | 'sandbox' | 'image' | 'network' | 'memoryMiB' | 'cpus' | 'pids'
>;

const TEXT_FIELDS = ['model', 'image', 'memoryMiB', 'cpus', 'pids'] as const;

export const BUILTIN_DEFAULTS: DeployDefaults = {
  provider: EMPTY_FORM.provider,
  model: EMPTY_FORM.model,
  approvalPolicy: EMPTY_FORM.approvalPolicy,
  sandbox: EMPTY_FORM.sandbox,
  image: EMPTY_FORM.image,
  network: EMPTY_FORM.network,
  memoryMiB: EMPTY_FORM.memoryMiB,
  cpus: EMPTY_FORM.cpus,
  pids: EMPTY_FORM.pids,
};

/** The value where the protocol's schema takes it, else the fallback. */
const oneOf = <T>(schema: z.ZodType<T>, value: unknown, fallback: T): T => {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : fallback;
};

/** The saved defaults; a field that is missing, or not a value the form could hold, is the built-in one. */
export function loadDeployDefaults(storage?: KeyValueStorage): DeployDefaults {
  const data = readJson(KEYS.deployDefaults, storage);
  if (typeof data !== 'object' || data === null) return { ...BUILTIN_DEFAULTS };
  const raw = data as Record<string, unknown>;
  const defaults: DeployDefaults = {
    ...BUILTIN_DEFAULTS,
    provider: oneOf(AgentProviderSchema, raw.provider, BUILTIN_DEFAULTS.provider),
    approvalPolicy: oneOf(ApprovalPolicySchema, raw.approvalPolicy, BUILTIN_DEFAULTS.approvalPolicy),
    sandbox: oneOf(SandboxKindSchema, raw.sandbox, BUILTIN_DEFAULTS.sandbox),
    network: typeof raw.network === 'boolean' ? raw.network : BUILTIN_DEFAULTS.network,
  };
  for (const key of TEXT_FIELDS) {
    const value = raw[key];
    if (typeof value === 'string' && value.length <= 256) defaults[key] = value;
  }
  return defaults;
}

/**
 * Checks the defaults as a deploy would (the protocol's own schema, with a goal so that the model settings count)
 * and saves them; or the errors to show next to their fields, saving nothing.
 */
export function saveDeployDefaults(
  defaults: DeployDefaults,
  storage?: KeyValueStorage,
): { saved: DeployDefaults } | { errors: FieldErrors } {
  // container limits are checked whatever the sandbox: they are kept for the day it is a container
  const checked = toSpawnArgs({ ...EMPTY_FORM, ...defaults, sandbox: 'docker', goal: 'a goal' });
  if ('errors' in checked) return { errors: checked.errors };
  const saved = { ...BUILTIN_DEFAULTS, ...defaults };
  writeJson(KEYS.deployDefaults, saved, storage);
  return { saved };
}

/** Forgets the saved defaults: new agents get the built-in ones, as they are in this version. */
export function resetDeployDefaults(storage?: KeyValueStorage): DeployDefaults {
  removeKey(KEYS.deployDefaults, storage);
  return { ...BUILTIN_DEFAULTS };
}

/** The form a deploy starts with: the saved defaults, and the goal it was opened with (the Smart Bar's). */
export function newDeployForm(goal: string, storage?: KeyValueStorage): DeployForm {
  return { ...EMPTY_FORM, ...loadDeployDefaults(storage), goal };
}
