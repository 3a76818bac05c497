// What the kernel knows of real OS processes: /proc inspection and signalling of groups, sessions and trees.
export {
  groupMembers,
  isGroupAlive,
  listProcesses,
  processTree,
  readingTerminal,
  sessionStragglers,
  signalGroup,
  signalTree,
  terminateSession,
  waitUntil,
  type OsProcess,
} from './processes.js';
