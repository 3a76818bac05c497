/** When a person must approve an agent's action. */
export const APPROVAL_POLICIES = ['never', 'dangerous', 'always'] as const;
export type ApprovalPolicy = (typeof APPROVAL_POLICIES)[number];

/**
 * never: nothing waits; dangerous: actions with reasons wait; always: every action that changes something waits
 * (harmless tools such as read_file, think and complete never do).
 */
export function needsApproval(
  policy: ApprovalPolicy,
  action: { harmless: boolean; reasons: readonly string[] },
): boolean {
  if (policy === 'never') return false;
  if (policy === 'always') return !action.harmless;
  return action.reasons.length > 0;
}
