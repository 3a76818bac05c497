export { InMemoryConversation, type ConversationLog } from './conversation.js';
