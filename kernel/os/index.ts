// What the kernel knows of real OS processes: /proc inspection and signalling of groups, sessions and trees.
export {
  groupMembers,
  isGroupAlive,
  isGroupAliveSoon,
  listProcesses,
  processTree,
  queueSignalTree,
  readingTerminal,
  scanSoon,
  signalGroup,
  signalTree,
  signalTrees,
  terminateSession,
  waitUntil,
  type OsProcess,
} from './processes.js';
