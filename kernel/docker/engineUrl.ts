import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { HabitatError } from '../../shared/protocol/index.js';
import type { DockerEndpoint } from './DockerEngine.js';

/** A Docker engine the kernel may run agents on, besides the local one. */
export interface EngineConfig {
  /** How agents and people name it: lowercase letters, digits and dashes. */
  name: string;
  endpoint: DockerEndpoint;
  /**
   * Where the kernel's homes folder appears on the engine's host (a shared or network mount); default the same
   * path. Agent homes are bind-mounted from there.
   */
  homes?: string;
}

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
export const LOCAL_ENGINE = 'local';

/**
 * Parses `NAME=URL`, the form `habitat serve --docker-engine` takes:
 * - `unix:///path/to/docker.sock`
 * - `tcp://host:2376?tls=/dir`: TLS with Docker's usual ca.pem, cert.pem and key.pem in /dir (DOCKER_CERT_PATH);
 *   plain `tcp://` only to a loopback address, since the Docker API is root on that host
 * - `ssh://user@host:22?key=/path/to/private_key` (else the SSH agent in SSH_AUTH_SOCK)
 * and `homes=/path` on any of them, where the engine's host sees the kernel's homes folder.
 */
export function parseEngineSpec(spec: string): EngineConfig {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw invalid(`a Docker engine is NAME=URL, not ${spec}`);
  const name = spec.slice(0, eq);
  if (!NAME.test(name) || name === LOCAL_ENGINE) {
    throw invalid(`an engine name is 1 to 32 lowercase letters, digits and dashes, and not "local": ${name}`);
  }
  let url: URL;
  try {
    url = new URL(spec.slice(eq + 1));
  } catch {
    throw invalid(`not a URL: ${spec.slice(eq + 1)}`);
  }
  const homes = url.searchParams.get('homes') ?? undefined;
  if (homes !== undefined && !homes.startsWith('/'))
    throw invalid(`homes must be an absolute path: ${homes}`);
  return { name, endpoint: endpointOf(url), ...(homes ? { homes } : {}) };
}

function endpointOf(url: URL): DockerEndpoint {
  switch (url.protocol) {
    case 'unix:':
      if (!url.pathname.startsWith('/')) throw invalid('a unix socket needs an absolute path');
      return { socketPath: decodeURIComponent(url.pathname) };
    case 'tcp:': {
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = Number(url.port || 2376);
      if (!host || !Number.isInteger(port) || port <= 0 || port > 65535)
        throw invalid(`bad address: ${url.host}`);
      const dir = url.searchParams.get('tls');
      if (!dir) {
        if (!isLoopback(host)) {
          throw invalid(
            `tcp://${url.host} without TLS would hand root on that host to anyone on the network: add ?tls=<certs folder>`,
          );
        }
        return { host, port };
      }
      return { host, port, tls: readTls(dir) };
    }
    case 'ssh:': {
      const username = decodeURIComponent(url.username);
      if (!url.hostname || !username) throw invalid('an ssh engine is ssh://user@host[:port]');
      const key = url.searchParams.get('key');
      return {
        ssh: {
          host: url.hostname,
          port: Number(url.port || 22),
          username,
          ...(key ? { privateKey: readPem(key) } : { agent: process.env.SSH_AUTH_SOCK }),
        },
      };
    }
    default:
      throw invalid(`a Docker engine URL is unix://, tcp:// or ssh://, not ${url.protocol}//`);
  }
}

function readTls(dir: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  return {
    ca: readPem(join(dir, 'ca.pem')),
    cert: readPem(join(dir, 'cert.pem')),
    key: readPem(join(dir, 'key.pem')),
  };
}

function readPem(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw invalid(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function invalid(message: string): HabitatError {
  return new HabitatError('E_INVALID', message);
}
