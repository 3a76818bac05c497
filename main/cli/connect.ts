import { join } from 'node:path';
import { WebSocketClient } from '../../shared/client/index.js';
import { HabitatError } from '../../shared/protocol/index.js';
import { defaultDataDir } from '../../kernel/datadir/index.js';
import { readHostFile } from '../host/hostFile.js';

export interface ConnectFlags {
  url?: string;
  token?: string;
  dataDir?: string;
}

/** Accepts http(s)://host:port[/...] or ws(s)://host:port[/bridge] and returns the bridge's WebSocket URL. */
export function bridgeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HabitatError('E_INVALID', `not a Habitat URL: ${url} (try http://host:port/?token=…)`);
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  else if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new HabitatError('E_INVALID', `not a Habitat URL: ${url}`);
  }
  const token = parsed.searchParams.get('token');
  parsed.pathname = '/bridge';
  parsed.search = '';
  parsed.hash = '';
  return token ? `${parsed.toString()}#${token}` : parsed.toString();
}

/**
 * Where to connect: flags, then HABITAT_URL/HABITAT_TOKEN, then run/host.json of the data folder. The token: --token,
 * else the one in the URL (as `serve` prints it), else HABITAT_TOKEN, else host.json's.
 */
export function resolveTarget(
  flags: ConnectFlags,
  env: NodeJS.ProcessEnv = process.env,
): { url: string; token: string } {
  const url = flags.url || env.HABITAT_URL;
  const token = flags.token || env.HABITAT_TOKEN || undefined;
  if (url) {
    const [ws, tokenInUrl] = bridgeUrl(url).split('#');
    const chosen = flags.token || tokenInUrl || token;
    if (!chosen)
      throw new HabitatError('E_INVALID', 'a token is needed with --url: pass --token or HABITAT_TOKEN');
    return { url: ws!, token: chosen };
  }
  const dataDir = flags.dataDir ?? defaultDataDir(env);
  const hostFile = readHostFile(join(dataDir, 'run'));
  if (!hostFile) {
    throw new HabitatError(
      'E_UNAVAILABLE',
      `no running Habitat host found in ${dataDir} (start one with \`habitat serve\`, or pass --url and --token)`,
    );
  }
  return { url: hostFile.wsUrl, token: token ?? hostFile.token };
}

export async function connect(flags: ConnectFlags): Promise<WebSocketClient> {
  const target = resolveTarget(flags);
  try {
    return await WebSocketClient.connect({
      url: target.url,
      token: target.token,
      factory: (url, protocols) => new WebSocket(url, protocols) as never,
    });
  } catch (error) {
    if (!(error instanceof HabitatError && error.code === 'E_DENIED')) throw error;
    // where a CLI user can find the right one (exit 3 stays: a host out of reach for this token)
    throw new HabitatError(
      'E_DENIED',
      `${error.message}; give the one \`habitat serve\` printed (in its URL, --token or HABITAT_TOKEN)`,
    );
  }
}
