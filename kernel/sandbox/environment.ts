import type { SandboxSpec } from './types.js';

const SAFE_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin';

/**
 * The whole environment an agent gets: built from nothing, so no host secret (API keys, tokens, SSH agent sockets)
 * can leak in through inheritance.
 */
export function scrubbedEnvironment(spec: SandboxSpec, home: string): Record<string, string> {
  return {
    HOME: home,
    USER: 'agent',
    LOGNAME: 'agent',
    SHELL: '/bin/bash',
    PATH: SAFE_PATH,
    TERM: 'xterm-256color',
    COLORTERM: 'truecolor',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    ...agentIdentityEnvironment(spec.pid),
    ...gpuEnvironment(spec.gpus),
    ...spec.env,
  };
}

/** The part of the environment that names the agent: what a container made before its agent existed lacks. */
export function agentIdentityEnvironment(pid: number): Record<string, string> {
  return { HABITAT_PID: String(pid), PS1: `agent@${pid}:\\w\\$ ` };
}

/** CUDA uses only the GPUs named here (an empty list hides them all); NVIDIA's container tooling reads the other. */
function gpuEnvironment(gpus: string[] | undefined): Record<string, string> {
  if (gpus === undefined) return {};
  if (gpus.length === 0) return { CUDA_VISIBLE_DEVICES: '' };
  return { CUDA_VISIBLE_DEVICES: gpus.join(','), NVIDIA_VISIBLE_DEVICES: gpus.join(',') };
}
