// Helpers for the fs tests: real folders under the OS temp folder.
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHabitatError, type ErrorCode } from '../../shared/protocol/index.js';
import { AgentFs, type AgentFsOptions } from './AgentFs.js';
import { createHome } from './createHome.js';

export interface TestHome {
  /** A private temp folder holding the homes and anything a test puts "outside". */
  base: string;
  home: string;
  fs: AgentFs;
  cleanup(): Promise<void>;
}

export async function makeTestHome(options: Omit<AgentFsOptions, 'root'> = {}): Promise<TestHome> {
  const base = await fsp.realpath(await fsp.mkdtemp(join(tmpdir(), 'habitat-fs-')));
  const home = await createHome(join(base, 'homes'), 1);
  const fs = new AgentFs({ root: home, watchDebounceMs: 30, ...options });
  return {
    base,
    home,
    fs,
    cleanup: async () => {
      fs.close();
      await fsp.rm(base, { recursive: true, force: true });
    },
  };
}

/** Resolves to the HabitatError code the promise rejects with, or fails if it resolves. */
export async function codeOf(promise: Promise<unknown>): Promise<ErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (isHabitatError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a HabitatError, but the operation succeeded');
}

export async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
