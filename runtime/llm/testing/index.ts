export { ScriptedServer, type RecordedRequest, type ScriptedHttpReply } from './ScriptedServer.js';
export * from './gemini.js';
export * from './ollama.js';
