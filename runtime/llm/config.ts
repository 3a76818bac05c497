import { HabitatError } from '../../shared/protocol/index.js';
import { GeminiProvider } from './gemini.js';
import { HeuristicProvider } from './heuristic.js';
import { OllamaProvider, OLLAMA_DEFAULT_HOST } from './ollama.js';
import type { RetryOptions } from './retry.js';
import type { Provider } from './types.js';

export const PROVIDER_NAMES = ['heuristic', 'gemini', 'ollama'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** What the settings store (or a spawn request) says about the model; anything missing comes from the environment. */
export interface ProviderSettings {
  provider?: ProviderName;
  model?: string;
  geminiApiKey?: string;
  geminiBaseUrl?: string;
  ollamaHost?: string;
  retry?: RetryOptions;
  idleTimeoutMs?: number;
}

/** Where each provider's key and server come from: the settings first, then the host's environment. */
export interface ProviderEndpoints {
  geminiApiKey: string | undefined;
  /** Which of the two gave the key; the name of the variable where it was the environment. */
  geminiKeyFrom: { source: 'settings' } | { source: 'environment'; variable: string } | undefined;
  geminiBaseUrl: string | undefined;
  ollamaHost: string;
  /** Which gave the Ollama server's address. */
  ollamaHostFrom: 'settings' | 'environment' | 'default';
}

/** An Ollama server's address as the host keeps it: scheme, host and port as URL writes them, the path without a
 * trailing slash (`HTTP://GPU-Box:11434/` becomes `http://gpu-box:11434`). It must have passed ollamaHostProblem. */
export function normalOllamaHost(address: string): string {
  const url = new URL(address);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function providerEndpoints(
  settings: ProviderSettings = {},
  env: Record<string, string | undefined> = process.env,
): ProviderEndpoints {
  const variable = env.GEMINI_API_KEY ? 'GEMINI_API_KEY' : env.GOOGLE_API_KEY ? 'GOOGLE_API_KEY' : undefined;
  return {
    geminiApiKey: settings.geminiApiKey || (variable ? env[variable] : undefined),
    geminiKeyFrom: settings.geminiApiKey
      ? { source: 'settings' }
      : variable
        ? { source: 'environment', variable }
        : undefined,
    geminiBaseUrl: settings.geminiBaseUrl || env.GEMINI_BASE_URL || undefined,
    ollamaHost: settings.ollamaHost || env.OLLAMA_HOST || OLLAMA_DEFAULT_HOST,
    ollamaHostFrom: settings.ollamaHost ? 'settings' : env.OLLAMA_HOST ? 'environment' : 'default',
  };
}

/**
 * The provider for an agent. Without a configured provider it is the offline planner; keys come from the settings
 * (the desktop app keeps them encrypted) or, headless, from GEMINI_API_KEY / GOOGLE_API_KEY and OLLAMA_HOST.
 */
export function createProvider(
  settings: ProviderSettings = {},
  env: Record<string, string | undefined> = process.env,
): Provider {
  const name = settings.provider ?? 'heuristic';
  const endpoints = providerEndpoints(settings, env);
  const common = {
    ...(settings.model ? { model: settings.model } : {}),
    ...(settings.retry ? { retry: settings.retry } : {}),
    ...(settings.idleTimeoutMs ? { idleTimeoutMs: settings.idleTimeoutMs } : {}),
  };
  switch (name) {
    case 'heuristic':
      return new HeuristicProvider();
    case 'gemini': {
      const apiKey = endpoints.geminiApiKey;
      if (!apiKey) {
        throw new HabitatError(
          'E_UNAVAILABLE',
          'Gemini needs an API key: add one in Settings, or set GEMINI_API_KEY (or GOOGLE_API_KEY) for the headless host',
        );
      }
      const baseUrl = endpoints.geminiBaseUrl;
      return new GeminiProvider({ apiKey, ...common, ...(baseUrl ? { baseUrl } : {}) });
    }
    case 'ollama':
      return new OllamaProvider({
        host: endpoints.ollamaHost,
        ...common,
      });
    default:
      throw new HabitatError(
        'E_INVALID',
        `unknown provider ${JSON.stringify(name)}: one of ${PROVIDER_NAMES.join(', ')}`,
      );
  }
}
