import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { HabitatError } from '../../shared/protocol/index.js';

/** Addresses that are not the public internet: loopback, private networks, link-local, CGNAT, multicast, reserved. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 127], // :: and ::1
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

/** Whether an IP address belongs to the public internet (an IPv4-mapped IPv6 address is judged as its IPv4). */
export function isPublicAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped) return !PRIVATE.check(mapped, 'ipv4');
  const family = isIP(ip);
  if (family === 0) return false;
  return !PRIVATE.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** Which addresses pages may be fetched from; by default the public internet alone. */
export type AddressPolicy = (ip: string) => boolean;

/** An http or https URL without credentials in it, or E_INVALID. */
export function parseWebUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new HabitatError('E_INVALID', `${JSON.stringify(text.slice(0, 200))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HabitatError('E_INVALID', `only http and https URLs can be browsed, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new HabitatError('E_INVALID', 'a URL with a user name or password in it is refused');
  }
  return url;
}

/**
 * Refuses (E_DENIED) a URL whose host is, or resolves to, an address the policy does not allow: the kernel's host
 * fetches the page, and must not be led into its own network (its loopback, the cloud metadata address). A name
 * that resolves differently later (DNS rebinding) is checked again at each request and redirect, not in between.
 */
export async function checkAddress(url: URL, allowed: AddressPolicy): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch (error) {
      const code = (error as { code?: string }).code ?? String(error);
      throw new HabitatError('E_UNAVAILABLE', `cannot resolve ${host}: ${code}`);
    }
  }
  const refused = addresses.find((address) => !allowed(address));
  if (refused !== undefined) {
    throw new HabitatError(
      'E_DENIED',
      `${url.host} is ${refused === host ? 'a' : `at ${refused}, a`} local or private address: browse_web reaches ` +
        'the public web only',
      { host: url.host, address: refused },
    );
  }
}
