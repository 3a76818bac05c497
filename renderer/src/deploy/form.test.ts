import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../store/persist.js';
import { deletePreset, EMPTY_FORM, loadPresets, savePreset, toSpawnArgs } from './form.js';

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
