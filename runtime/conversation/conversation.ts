import type { ChatMessage } from '../llm/types.js';

/**
 * One agent's conversation, storage-agnostic: the loop appends every message as it happens and loads the history
 * when it starts, so a restarted agent resumes where it was. A SQLite implementation belongs with the kernel store.
 */
export interface ConversationLog {
  load(): Promise<ChatMessage[]> | ChatMessage[];
  append(message: ChatMessage): Promise<void> | void;
}

export class InMemoryConversation implements ConversationLog {
  readonly messages: ChatMessage[];

  constructor(initial: ChatMessage[] = []) {
    this.messages = [...initial];
  }

  load(): ChatMessage[] {
    return [...this.messages];
  }

  append(message: ChatMessage): void {
    this.messages.push(message);
  }
}
