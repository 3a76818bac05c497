import { beforeEach, describe, expect, it } from 'vitest';
import { discardDraft, isDraft, keepDraft, openDraft } from './draft.js';
import { EMPTY_FORM, type DeployForm } from './form.js';

const fresh = (goal: string): DeployForm => ({ ...EMPTY_FORM, goal });

describe('the deploy draft', () => {
  beforeEach(() => discardDraft());

  it('comes back as it was typed when the dialog opens again, until discarded', () => {
    expect(openDraft('', fresh)).toEqual({ form: fresh(''), openAfter: false, restored: false });
    const typed = { ...fresh('survey the logs'), name: 'researcher', sandbox: 'docker' as const };
    keepDraft({ form: typed, openAfter: true }, fresh(''));
    expect(openDraft('', fresh)).toEqual({ form: typed, openAfter: true, restored: true });
    expect(openDraft('', fresh)).toEqual({ form: typed, openAfter: true, restored: true }); // not used up
    discardDraft();
    expect(openDraft('', fresh).restored).toBe(false);
  });

  it('is no draft when nothing was changed from a fresh form', () => {
    keepDraft({ form: fresh(''), openAfter: false }, fresh(''));
    expect(openDraft('', fresh).restored).toBe(false);
    expect(isDraft({ form: fresh(''), openAfter: false }, fresh(''))).toBe(false);
    expect(isDraft({ form: fresh(''), openAfter: true }, fresh(''))).toBe(true);
    expect(isDraft({ form: { ...fresh(''), cpus: '2' }, openAfter: false }, fresh(''))).toBe(true);
  });

  it('takes a goal asked for, and hands back the one it replaced', () => {
    keepDraft({ form: { ...fresh('old goal'), name: 'scout' }, openAfter: false }, fresh(''));
    expect(openDraft('new goal', fresh)).toEqual({
      form: { ...fresh('new goal'), name: 'scout' },
      openAfter: false,
      restored: true,
      replacedGoal: 'old goal',
    });
    expect(openDraft('old goal', fresh).replacedGoal).toBeUndefined();
    keepDraft({ form: { ...fresh(''), name: 'scout' }, openAfter: false }, fresh(''));
    expect(openDraft('new goal', fresh)).toMatchObject({
      form: { name: 'scout', goal: 'new goal' },
      restored: true,
    });
    expect(openDraft('new goal', fresh).replacedGoal).toBeUndefined();
  });

  it('keeps a copy: later changes to the object given do not reach it', () => {
    const form = fresh('x');
    keepDraft({ form, openAfter: false }, fresh(''));
    form.goal = 'changed';
    expect(openDraft('', fresh).form.goal).toBe('x');
  });
});
