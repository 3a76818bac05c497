export { AgentSupervisor, type AgentSupervisorOptions } from './AgentSupervisor.js';
export { AgentEventPublisher, type PublisherOptions } from './publisher.js';
export {
  OUTCOME_EXIT_CODES,
  runSettings,
  storedSettings,
  type AgentRunRequest,
  type AgentRunSettings,
} from './settings.js';
