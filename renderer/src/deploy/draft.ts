// The Deploy form's draft: what a person typed outlives the dialog (closed with Escape, a stray click on the
// backdrop, Close) until the agent is deployed or the draft is discarded. Pure and tested.
import { EMPTY_FORM, newDeployForm, type DeployForm } from './form.js';

export interface DeployDraft {
  form: DeployForm;
  /** "Open its window after deploying". */
  openAfter: boolean;
}

/** What the dialog opens with. */
export interface Opening extends DeployDraft {
  /** It is a draft kept from before, not a fresh form. */
  restored: boolean;
  /** The draft's own goal, when the dialog was asked for with another one (the Smart Bar's "deploy …"). */
  replacedGoal?: string;
}

/**
 * The draft lives for the page, outside React: the dialog is unmounted when it closes. Only one: there is one
 * Deploy dialog.
 */
let kept: DeployDraft | null = null;

const sameForm = (a: DeployForm, b: DeployForm) =>
  (Object.keys(EMPTY_FORM) as (keyof DeployForm)[]).every((key) => a[key] === b[key]);

/**
 * The form to open: the draft if there is one, else a fresh form from the defaults. A goal asked for (the Smart
 * Bar) wins over the draft's, which is handed back so that the dialog can offer to put it back.
 */
export function openDraft(goal: string, fresh: (goal: string) => DeployForm = newDeployForm): Opening {
  if (!kept) return { form: fresh(goal), openAfter: false, restored: false };
  const draft = kept;
  if (!goal.trim() || goal === draft.form.goal) return { ...draft, restored: true };
  return {
    form: { ...draft.form, goal },
    openAfter: draft.openAfter,
    restored: true,
    ...(draft.form.goal.trim() ? { replacedGoal: draft.form.goal } : {}),
  };
}

/**
 * Keeps what the dialog holds now. A form nobody changed from a fresh one is no draft (so that new defaults from
 * Settings apply the next time).
 */
export function keepDraft(draft: DeployDraft, fresh: DeployForm = newDeployForm('')): void {
  kept = isDraft(draft, fresh) ? { form: { ...draft.form }, openAfter: draft.openAfter } : null;
}

/** Whether the dialog holds something a Discard would throw away. */
export function isDraft(draft: DeployDraft, fresh: DeployForm = newDeployForm('')): boolean {
  return draft.openAfter || !sameForm(draft.form, fresh);
}

/** Deployed, or thrown away on purpose: the next dialog starts afresh. */
export function discardDraft(): void {
  kept = null;
}
