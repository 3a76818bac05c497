import { describe, expect, it } from 'vitest';
import { createProvider } from './config.js';
import { GeminiProvider } from './gemini.js';
import { HeuristicProvider } from './heuristic.js';
import { OllamaProvider } from './ollama.js';

describe('createProvider', () => {
  it('is the offline planner when nothing is configured', () => {
    expect(createProvider({}, {})).toBeInstanceOf(HeuristicProvider);
  });

  it('takes the Gemini key from settings first, then GEMINI_API_KEY, then GOOGLE_API_KEY', () => {
    expect(
      createProvider({ provider: 'gemini', geminiApiKey: 's', model: 'gemini-x' }, { GEMINI_API_KEY: 'e' }),
    ).toMatchObject({
      name: 'gemini',
      model: 'gemini-x',
    });
    expect(createProvider({ provider: 'gemini' }, { GOOGLE_API_KEY: 'g' })).toBeInstanceOf(GeminiProvider);
    expect(() => createProvider({ provider: 'gemini' }, {})).toThrow(
      expect.objectContaining({ code: 'E_UNAVAILABLE', message: expect.stringMatching(/GEMINI_API_KEY/) }),
    );
  });

  it('points Ollama at OLLAMA_HOST unless settings say otherwise', () => {
    const fromEnv = createProvider({ provider: 'ollama' }, { OLLAMA_HOST: 'http://gpu-box:11434' });
    expect(fromEnv).toBeInstanceOf(OllamaProvider);
    expect((fromEnv as unknown as { host: string }).host).toBe('http://gpu-box:11434');
    expect(
      (
        createProvider(
          { provider: 'ollama', ollamaHost: 'http://x:1' },
          { OLLAMA_HOST: 'http://y:2' },
        ) as unknown as { host: string }
      ).host,
    ).toBe('http://x:1');
  });

  it('refuses an unknown provider', () => {
    expect(() => createProvider({ provider: 'gpt' as 'gemini' }, {})).toThrow(
      expect.objectContaining({ code: 'E_INVALID' }),
    );
  });
});
