import { AGENT_MEMORY_MAX_CHARS, isHabitatError } from '../../shared/protocol/index.js';
import type { AgentFiles } from '../tools/types.js';

/** Notes kept across runs and placed in the system prompt; capped so the prompt stays small (agent.setMemory too). */
export const MEMORY_MAX_CHARS = AGENT_MEMORY_MAX_CHARS;

export interface AgentMemory {
  read(): Promise<string>;
  write(notes: string): Promise<void>;
}

export class InMemoryMemory implements AgentMemory {
  constructor(private notes = '') {}

  async read(): Promise<string> {
    return this.notes;
  }

  async write(notes: string): Promise<void> {
    this.notes = notes;
  }
}

/**
 * Memory as a file in the agent's home (default notes/MEMORY.md): it survives restarts and snapshots with the home,
 * and a person can read and edit it in the file manager.
 */
export class HomeFileMemory implements AgentMemory {
  constructor(
    private readonly files: AgentFiles,
    readonly path = 'notes/MEMORY.md',
  ) {}

  async read(): Promise<string> {
    try {
      return (await this.files.read(this.path, { length: MEMORY_MAX_CHARS * 4 })).content;
    } catch (error) {
      if (isHabitatError(error) && error.code === 'E_NOT_FOUND') return '';
      throw error;
    }
  }

  async write(notes: string): Promise<void> {
    await this.files.write(this.path, notes, { createParents: true });
  }
}
