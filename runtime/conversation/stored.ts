import { ConversationMessageSchema } from '../../shared/protocol/index.js';
import type { ChatMessage, ImagePart } from '../llm/types.js';
import type { ConversationLog } from './conversation.js';

/** The part of the kernel's Store (kernel.store) a conversation needs: a structural type, so tests may fake it. */
export interface MessageStore {
  appendMessage(pid: number, message: unknown): number;
  messages(pid: number, offset?: number, limit?: number): { seq: number; message: unknown }[];
}

const PAGE = 1000;

/** Stored image parts: the PNG bytes as base64, since the store keeps JSON. */
type StoredImage = { mimeType: 'image/png'; data: string };

/**
 * One agent's conversation in the kernel's SQLite store: every message is committed as the loop records it, so a
 * run that resumes after a restart (or a crash) continues from its last message. Images are kept as base64.
 */
export class StoredConversation implements ConversationLog {
  constructor(
    private readonly store: MessageStore,
    readonly pid: number,
  ) {}

  load(): ChatMessage[] {
    const messages: ChatMessage[] = [];
    for (let offset = 0; ;) {
      const page = this.store.messages(this.pid, offset, PAGE);
      // parsed: a row that is not a message must fail the run's start, not reach a provider
      for (const entry of page) messages.push(decode(ConversationMessageSchema.parse(entry.message)));
      if (page.length < PAGE) return messages;
      offset = page[page.length - 1]!.seq + 1;
    }
  }

  append(message: ChatMessage): void {
    this.store.appendMessage(this.pid, encode(message));
  }
}

function encode(message: ChatMessage): unknown {
  if (message.role === 'assistant' || !message.images) return message;
  return {
    ...message,
    images: message.images.map((image): StoredImage => ({
      mimeType: image.mimeType,
      data: Buffer.from(image.data).toString('base64'),
    })),
  };
}

function decode(message: ReturnType<typeof ConversationMessageSchema.parse>): ChatMessage {
  if (message.role === 'assistant' || !message.images) return message as ChatMessage;
  return {
    ...message,
    images: message.images.map((image): ImagePart => ({
      mimeType: image.mimeType,
      data: new Uint8Array(Buffer.from(image.data, 'base64')),
    })),
  };
}
