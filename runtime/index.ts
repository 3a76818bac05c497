// The agent runtime's public surface (think-act-observe loops, tools, LLM providers) grows here; see issue 7.
export const RUNTIME_PROVIDERS = ['heuristic', 'gemini', 'ollama'] as const;
export type RuntimeProvider = (typeof RUNTIME_PROVIDERS)[number];
