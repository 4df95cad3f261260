// Which URLs may receive webhooks. A webhook makes this server send requests
// to a URL a user chose: without a check that is a way into the servers
// next to it (SSRF: metadata services, databases, admin ports). So a URL
// must be http(s), carry no credentials, and every address its host
// resolves to must be public, unless WEBHOOK_ALLOW_PRIVATE_URLS is on
// (development and tests, whose receivers run on loopback). Checked when a
// webhook is made, and at each delivery by the connection's own lookup
// (post-webhook.ts), so DNS that changes in between cannot lead elsewhere.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { badInput } from '../errors.ts';

const MAX_URL_LENGTH = 2_048;

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

/** Whether `address` (an IP literal) is loopback, private, link-local or otherwise not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return true;
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  return PRIVATE.check(address, 'ipv6');
}

export interface UrlPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_URLS: loopback and private addresses allowed. */
  allowPrivate: boolean;
  /** Resolves a host name to its addresses (tests of the refusal pass their own). @default dns.lookup, all addresses */
  resolve?: (host: string) => Promise<string[]>;
}

export const resolveAll = async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** The URL's host as an address or a name (an IPv6 literal without its brackets). */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

const privateUrl = () => badInput('url points at a private or loopback address', { field: 'url', reason: 'PRIVATE_URL' });

/** The URL, normalised; BAD_USER_INPUT (reason BAD_URL or PRIVATE_URL) when it may not receive webhooks. */
export async function checkWebhookUrl(input: string, policy: UrlPolicy): Promise<string> {
  const url = parseWebhookUrl(input, policy);
  const host = hostOf(url);
  if (!policy.allowPrivate && !isIP(host)) {
    let addresses: string[];
    try {
      addresses = await (policy.resolve ?? resolveAll)(host);
    } catch {
      throw badInput("url's host does not resolve", { field: 'url', reason: 'BAD_URL' });
    }
    if (addresses.length === 0 || addresses.some(isPrivateAddress)) throw privateUrl();
  }
  return url.href;
}

/** The URL's shape alone (and a private IP literal), without resolving its host: BAD_USER_INPUT as checkWebhookUrl. */
export function parseWebhookUrl(input: string, policy: UrlPolicy): URL {
  const bad = (message: string) => badInput(message, { field: 'url', reason: 'BAD_URL' });
  if (input.length > MAX_URL_LENGTH) throw bad(`url must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw bad('url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad('url must be an absolute http(s) URL');
  if (url.username || url.password) throw bad('url must not carry credentials');
  const host = hostOf(url);
  if (!policy.allowPrivate && isIP(host) && isPrivateAddress(host)) throw privateUrl();
  return url;
}
