// Shared workspaces: folders bound into agents at ~/shared/<name>, with owners and grants. Other kernel code imports only here.
export { Workspaces, type WorkspaceProcesses, type WorkspacesOptions } from './Workspaces.js';
