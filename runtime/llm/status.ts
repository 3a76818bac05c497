import { sameModelName, type ProviderStatus } from '../../shared/protocol/index.js';
import { providerEndpoints, type ProviderEndpoints, type ProviderSettings } from './config.js';
import { shortMessage } from './errors.js';
import { GEMINI_DEFAULT_MODEL } from './gemini.js';
import { OllamaProvider, OLLAMA_DEFAULT_MODEL } from './ollama.js';

/** A local server that has not answered in this long is taken as not running: Settings must not hang on it. */
export const PROVIDER_PROBE_TIMEOUT_MS = 2_000;

/**
 * Whether each provider can drive an agent now, with the configuration createProvider would use. Gemini is not
 * called (a request would cost the person quota): a key is what it needs. Ollama is asked for its models, which says
 * both that it runs and whether the model an agent would get is there. Keys never appear in a status, nor do the
 * user name, password or query of a URL.
 */
export async function providerStatuses(
  settings: ProviderSettings = {},
  env: Record<string, string | undefined> = process.env,
  probeTimeoutMs = PROVIDER_PROBE_TIMEOUT_MS,
): Promise<ProviderStatus[]> {
  const endpoints = providerEndpoints(settings, env);
  return [offlineStatus(), geminiStatus(endpoints), await ollamaStatus(endpoints, probeTimeoutMs)];
}

function offlineStatus(): ProviderStatus {
  return {
    name: 'heuristic',
    label: 'Offline planner',
    ready: true,
    detail: 'Built in: plans simple goals without a network or a key.',
    defaultModel: null,
    models: [],
    defaultModelInstalled: null,
    endpoint: null,
    keyFrom: null,
  };
}

function geminiStatus({ geminiKeyFrom: from, geminiBaseUrl }: ProviderEndpoints): ProviderStatus {
  const detail =
    from?.source === 'settings'
      ? 'An API key is stored in the desktop app (encrypted with the system keychain).'
      : from?.source === 'environment'
        ? `An API key is set for the host (${from.variable}).`
        : 'No API key: store one in Settings › Desktop app, or set GEMINI_API_KEY for habitat serve.';
  return {
    name: 'gemini',
    label: 'Gemini',
    ready: from !== undefined,
    detail,
    defaultModel: GEMINI_DEFAULT_MODEL,
    models: [],
    defaultModelInstalled: null,
    endpoint: geminiBaseUrl ? shownUrl(geminiBaseUrl) : null,
    keyFrom: from?.source ?? null,
  };
}

async function ollamaStatus(
  { ollamaHost: host, ollamaHostFrom }: ProviderEndpoints,
  probeTimeoutMs: number,
): Promise<ProviderStatus> {
  const shown = shownUrl(host);
  const base = {
    name: 'ollama' as const,
    label: 'Ollama',
    defaultModel: OLLAMA_DEFAULT_MODEL,
    endpoint: shown,
    endpointFrom: ollamaHostFrom,
    keyFrom: null,
  };
  let models: string[];
  try {
    // the probe's own idle timeout, not an abort: a silent server is "no answer", not "cancelled"
    models = await new OllamaProvider({ host }).listModels({ idleTimeoutMs: probeTimeoutMs });
  } catch (error) {
    const why = shortMessage(error).split(host).join(shown);
    return {
      ...base,
      ready: false,
      models: [],
      defaultModelInstalled: null,
      detail: `No Ollama server answers at ${shown} (${why}): start one (ollama serve), or give its address in Settings › Providers (habitat providers --ollama-host URL).`,
    };
  }
  const hasDefault = models.some((m) => sameModelName(m, OLLAMA_DEFAULT_MODEL));
  const count = `${models.length} model${models.length === 1 ? '' : 's'} installed`;
  return {
    ...base,
    ready: true,
    models,
    defaultModelInstalled: hasDefault,
    detail: hasDefault
      ? `Running at ${shown}, ${count}.`
      : `Running at ${shown}, ${count}; the default model ${OLLAMA_DEFAULT_MODEL} is pulled when an agent first needs it.`,
  };
}

/** A URL as it may be shown: without a user name, password or query (any of which may be a secret). */
export function shownUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//').replace(/\?.*$/, '');
  }
  if (!parsed.username && !parsed.password && !parsed.search) return url;
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}
