export { HomeFileMemory, InMemoryMemory, MEMORY_MAX_CHARS, type AgentMemory } from './memory.js';
