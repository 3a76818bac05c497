import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../store/persist.js';
import {
  BUILTIN_DEFAULTS,
  BUILTIN_PRESETS,
  deletePreset,
  EMPTY_FORM,
  loadDeployDefaults,
  loadPresets,
  newDeployForm,
  parseScreenSize,
  resetDeployDefaults,
  saveDeployDefaults,
  savePreset,
  toSpawnArgs,
  withPreset,
} from './form.js';

describe('the deploy form', () => {
  it('turns a host form into spawn arguments, leaving out what was not filled in', () => {
    expect(toSpawnArgs({ ...EMPTY_FORM, name: ' scout ', goal: 'find things', memoryMiB: '512' })).toEqual({
      args: {
        sandbox: 'host',
        network: false,
        name: 'scout',
        goal: 'find things',
        provider: 'heuristic',
        approvalPolicy: 'dangerous',
      },
    });
  });

  it('turns container limits into bytes, CPUs and processes', () => {
    const result = toSpawnArgs({
      ...EMPTY_FORM,
      sandbox: 'docker',
      image: 'habitat/sandbox:base',
      memoryMiB: '256',
      cpus: '0.5',
      pids: '64',
      gpus: '1',
      network: true,
    });
    expect(result).toEqual({
      args: {
        sandbox: 'docker',
        network: true,
        image: 'habitat/sandbox:base',
        memoryBytes: 256 * 1024 * 1024,
        cpus: 0.5,
        pids: 64,
        gpus: 1,
      },
    });
  });

  it("refuses, field by field, what the kernel's schema would refuse", () => {
    expect(toSpawnArgs({ ...EMPTY_FORM, name: 'bad/name' })).toEqual({
      errors: { name: expect.stringContaining('letters') },
    });
    const result = toSpawnArgs({
      ...EMPTY_FORM,
      sandbox: 'docker',
      memoryMiB: '1',
      cpus: 'lots',
      pids: '2.5',
    });
    expect(result).toEqual({
      errors: { memoryMiB: 'at least 16 MiB', cpus: 'a number above 0', pids: 'a whole number above 0' },
    });
  });

  it('saves presets by name without the agent name, replaces them, deletes them, and survives junk in storage', () => {
    const storage = memoryStorage();
    let presets = savePreset(
      [],
      'gpu box',
      { ...EMPTY_FORM, name: 'x', sandbox: 'docker', gpus: '2' },
      storage,
    );
    presets = savePreset(presets, 'gpu box', { ...EMPTY_FORM, sandbox: 'docker', gpus: '1' }, storage);
    expect(loadPresets(storage)).toEqual([
      {
        name: 'gpu box',
        form: { ...(({ name: _n, ...rest }) => rest)(EMPTY_FORM), sandbox: 'docker', gpus: '1' },
      },
    ]);
    expect(deletePreset(presets, 'gpu box', storage)).toEqual([]);
    expect(loadPresets(storage)).toEqual([]);
    storage.setItem('habitat.deployPresets.v1', '{"not":"a list"}');
    expect(loadPresets(storage)).toEqual([]);
  });
});

describe('how a goal is worked on', () => {
  it('sends provider, model and approval policy with a goal, and none of them without one', () => {
    const withGoal = toSpawnArgs({
      ...EMPTY_FORM,
      goal: 'summarise notes/*.md',
      provider: 'gemini',
      model: ' gemini-2.5-pro ',
      approvalPolicy: 'always',
    });
    expect(withGoal).toEqual({
      args: {
        sandbox: 'host',
        network: false,
        goal: 'summarise notes/*.md',
        provider: 'gemini',
        model: 'gemini-2.5-pro',
        approvalPolicy: 'always',
      },
    });
    expect(toSpawnArgs({ ...EMPTY_FORM, provider: 'gemini', approvalPolicy: 'never' })).toEqual({
      args: { sandbox: 'host', network: false },
    });
  });
});

describe('a graphical desktop', () => {
  it('sends graphical: true for the default screen, or the size typed', () => {
    const docker = { ...EMPTY_FORM, sandbox: 'docker' as const, graphical: true };
    expect(toSpawnArgs(docker)).toEqual({ args: { sandbox: 'docker', network: false, graphical: true } });
    expect(toSpawnArgs({ ...docker, screen: ' 1024 x 640 ' })).toEqual({
      args: { sandbox: 'docker', network: false, graphical: { width: 1024, height: 640 } },
    });
    expect(toSpawnArgs({ ...docker, screen: '1920×1080' })).toMatchObject({
      args: { graphical: { width: 1920, height: 1080 } },
    });
  });

  it('is for containers only: a host form sends nothing of it', () => {
    expect(toSpawnArgs({ ...EMPTY_FORM, graphical: true, screen: '1024x640' })).toEqual({
      args: { sandbox: 'host', network: false },
    });
  });

  it("refuses a screen that is not one, or is out of the protocol's bounds, next to the field", () => {
    const docker = { ...EMPTY_FORM, sandbox: 'docker' as const, graphical: true };
    expect(toSpawnArgs({ ...docker, screen: 'big' })).toEqual({
      errors: { screen: 'width x height, like 1280x800' },
    });
    expect(toSpawnArgs({ ...docker, screen: '100x100' })).toEqual({
      errors: { screen: 'from 320x200 to 7680x4320' },
    });
    expect(toSpawnArgs({ ...docker, screen: '9000x5000' })).toEqual({
      errors: { screen: 'from 320x200 to 7680x4320' },
    });
    expect(parseScreenSize('1280X800')).toEqual({ width: 1280, height: 800 });
    expect(parseScreenSize('1280x')).toBeUndefined();
  });

  it('has a preset, and presets saved before it existed load without it', () => {
    const preset = BUILTIN_PRESETS.find((p) => p.form.graphical)!;
    expect(toSpawnArgs(withPreset(EMPTY_FORM, preset))).toMatchObject({
      args: { sandbox: 'docker', graphical: true },
    });
    const storage = memoryStorage();
    storage.setItem(
      'habitat.deployPresets.v1',
      JSON.stringify([{ name: 'old', form: { sandbox: 'docker', memoryMiB: '256' } }]),
    );
    expect(loadPresets(storage)[0]!.form).toMatchObject({ graphical: false, screen: '' });
  });
});

describe('deploy defaults (Settings › New agents)', () => {
  it('start as the built-in form, and a saved set is what every new deploy form starts with', () => {
    const storage = memoryStorage();
    expect(loadDeployDefaults(storage)).toEqual(BUILTIN_DEFAULTS);
    expect(newDeployForm('tidy up', storage)).toEqual({ ...EMPTY_FORM, goal: 'tidy up' });

    const wanted = {
      ...BUILTIN_DEFAULTS,
      sandbox: 'docker' as const,
      image: 'habitat/sandbox:base',
      network: true,
      memoryMiB: '512',
      cpus: '1.5',
      pids: '128',
      provider: 'ollama' as const,
      model: 'qwen2.5:7b',
      approvalPolicy: 'always' as const,
    };
    expect(saveDeployDefaults(wanted, storage)).toEqual({ saved: wanted });
    expect(loadDeployDefaults(storage)).toEqual(wanted);
    const form = newDeployForm('', storage);
    expect(form).toMatchObject({ ...wanted, name: '', role: '', goal: '', gpus: '', graphical: false });
    // and what it deploys, once it has a goal
    expect(toSpawnArgs({ ...form, goal: 'g' })).toEqual({
      args: {
        sandbox: 'docker',
        network: true,
        goal: 'g',
        provider: 'ollama',
        model: 'qwen2.5:7b',
        approvalPolicy: 'always',
        image: 'habitat/sandbox:base',
        memoryBytes: 512 * 1024 * 1024,
        cpus: 1.5,
        pids: 128,
      },
    });

    // a built-in preset sets only what it is about: the saved model settings and network stay
    const container = withPreset(
      { ...form, name: 'kept' },
      BUILTIN_PRESETS.find((p) => p.name.startsWith('Container'))!,
    );
    expect(container).toMatchObject({ name: 'kept', provider: 'ollama', model: 'qwen2.5:7b', network: true });
    expect(container).toMatchObject({
      memoryMiB: '512',
      cpus: '1',
      pids: '256',
      image: 'habitat/sandbox:base',
    });
    expect(withPreset(form, BUILTIN_PRESETS[0]!)).toMatchObject({
      sandbox: 'host',
      approvalPolicy: 'always',
    });

    expect(resetDeployDefaults(storage)).toEqual(BUILTIN_DEFAULTS);
    expect(storage.getItem('habitat.deployDefaults.v1')).toBeNull();
    expect(newDeployForm('', storage)).toEqual(EMPTY_FORM);
  });

  it('refuse what a deploy would refuse, naming the field, and save nothing then', () => {
    const storage = memoryStorage();
    const result = saveDeployDefaults({ ...BUILTIN_DEFAULTS, memoryMiB: '8', cpus: 'lots' }, storage);
    expect(result).toEqual({ errors: { memoryMiB: 'at least 16 MiB', cpus: 'a number above 0' } });
    // kept for a container even while the default sandbox is the host
    expect(saveDeployDefaults({ ...BUILTIN_DEFAULTS, pids: '2.5' }, storage)).toEqual({
      errors: { pids: 'a whole number above 0' },
    });
    expect(loadDeployDefaults(storage)).toEqual(BUILTIN_DEFAULTS);
  });

  it('survive a damaged or tampered store: a field the form could not hold is the built-in one', () => {
    const storage = memoryStorage();
    storage.setItem('habitat.deployDefaults.v1', '{not json');
    expect(loadDeployDefaults(storage)).toEqual(BUILTIN_DEFAULTS);
    storage.setItem(
      'habitat.deployDefaults.v1',
      JSON.stringify({
        sandbox: 'vm',
        provider: 'openai',
        approvalPolicy: 'always',
        network: 'yes',
        memoryMiB: 1024,
        cpus: '2',
        model: 'x'.repeat(300),
        goal: 'smuggled in',
      }),
    );
    const loaded = loadDeployDefaults(storage);
    expect(loaded).toEqual({ ...BUILTIN_DEFAULTS, approvalPolicy: 'always', cpus: '2' });
    expect(newDeployForm('', storage).goal).toBe('');
  });
});
