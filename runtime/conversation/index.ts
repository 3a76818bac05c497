export { InMemoryConversation, type ConversationLog } from './conversation.js';
export { StoredConversation, type MessageStore } from './stored.js';
