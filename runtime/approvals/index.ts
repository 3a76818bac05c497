export { APPROVAL_POLICIES, needsApproval, type ApprovalPolicy } from './policy.js';
export {
  assessCommand,
  assessCommandInput,
  assessPath,
  outsideHome,
  type DangerOptions,
} from './dangerous.js';
export {
  ApprovalGate,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  type ApprovalChange,
  type ApprovalDecision,
  type ApprovalRequest,
} from './ApprovalGate.js';
