import type { ProviderStatus } from '../../shared/protocol/index.js';
import { shortMessage } from './errors.js';
import { GEMINI_DEFAULT_MODEL } from './gemini.js';
import { OllamaProvider, OLLAMA_DEFAULT_HOST, OLLAMA_DEFAULT_MODEL } from './ollama.js';
import type { ProviderSettings } from './config.js';

/** A local server that has not answered in this long is taken as not running: Settings must not hang on it. */
export const PROVIDER_PROBE_TIMEOUT_MS = 2_000;

/**
 * Whether each provider can drive an agent now, found the way createProvider would find its configuration. Gemini
 * is not called (a request would cost the person quota): a key is what it needs. Ollama is asked for its models,
 * which says both that it runs and whether the model an agent would get is there.
 */
export async function providerStatuses(
  settings: ProviderSettings = {},
  env: Record<string, string | undefined> = process.env,
  probeTimeoutMs = PROVIDER_PROBE_TIMEOUT_MS,
): Promise<ProviderStatus[]> {
  return [offlineStatus(), geminiStatus(settings, env), await ollamaStatus(settings, env, probeTimeoutMs)];
}

function offlineStatus(): ProviderStatus {
  return {
    name: 'heuristic',
    label: 'Offline planner',
    ready: true,
    detail: 'Built in: plans simple goals without a network or a key.',
    defaultModel: null,
    models: [],
    endpoint: null,
    keyFrom: null,
  };
}

function geminiStatus(settings: ProviderSettings, env: Record<string, string | undefined>): ProviderStatus {
  const keyFrom = settings.geminiApiKey
    ? 'settings'
    : env.GEMINI_API_KEY || env.GOOGLE_API_KEY
      ? 'environment'
      : null;
  const endpoint = settings.geminiBaseUrl || env.GEMINI_BASE_URL || null;
  const detail =
    keyFrom === 'settings'
      ? 'An API key is stored in the desktop app (encrypted with the system keychain).'
      : keyFrom === 'environment'
        ? `An API key is set for the host (${env.GEMINI_API_KEY ? 'GEMINI_API_KEY' : 'GOOGLE_API_KEY'}).`
        : 'No API key: store one in Settings › Desktop app, or set GEMINI_API_KEY for habitat serve.';
  return {
    name: 'gemini',
    label: 'Gemini',
    ready: keyFrom !== null,
    detail,
    defaultModel: GEMINI_DEFAULT_MODEL,
    models: [],
    endpoint,
    keyFrom,
  };
}

async function ollamaStatus(
  settings: ProviderSettings,
  env: Record<string, string | undefined>,
  probeTimeoutMs: number,
): Promise<ProviderStatus> {
  const host = settings.ollamaHost || env.OLLAMA_HOST || OLLAMA_DEFAULT_HOST;
  const base = {
    name: 'ollama' as const,
    label: 'Ollama',
    defaultModel: OLLAMA_DEFAULT_MODEL,
    endpoint: host,
    keyFrom: null,
  };
  let models: string[];
  try {
    models = await new OllamaProvider({ host }).listModels({
      signal: AbortSignal.timeout(probeTimeoutMs),
      idleTimeoutMs: probeTimeoutMs,
    });
  } catch (error) {
    return {
      ...base,
      ready: false,
      models: [],
      detail: `No Ollama server answers at ${host} (${shortMessage(error)}): start one (ollama serve), or set OLLAMA_HOST.`,
    };
  }
  const hasDefault = models.some((m) => m === OLLAMA_DEFAULT_MODEL || m === `${OLLAMA_DEFAULT_MODEL}:latest`);
  const count = `${models.length} model${models.length === 1 ? '' : 's'} installed`;
  return {
    ...base,
    ready: true,
    models,
    detail: hasDefault
      ? `Running at ${host}, ${count}.`
      : `Running at ${host}, ${count}; the default model ${OLLAMA_DEFAULT_MODEL} is pulled when an agent first needs it.`,
  };
}
