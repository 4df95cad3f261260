// Sends one webhook request to an address that was checked. Checking the
// URL's host and then calling fetch() resolves the name twice: a host whose
// DNS answers a public address to the check and a private one to the
// connection (DNS rebinding) would reach the servers next to this one. Here
// the connection's own lookup resolves the name, refuses it if any address
// is private (unless allowed), and connects to the addresses it checked.
// Redirects are not followed (a redirect is a failed delivery).
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress, resolveAll, type UrlPolicy } from './webhook-url.ts';

/** A lookup for net.connect that answers only addresses the policy allows. */
export function checkedLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    (policy.resolve ?? resolveAll)(hostname).then(
      (addresses) => {
        if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), '', 0);
        if (!policy.allowPrivate && addresses.some(isPrivateAddress)) {
          return callback(Object.assign(new Error(`${hostname} resolves to a private or loopback address`), { code: 'EPRIVATEADDRESS' }), '', 0);
        }
        const all: LookupAddress[] = addresses.map((address) => ({ address, family: isIP(address) }));
        if (options.all) callback(null, all);
        else callback(null, all[0]!.address, all[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

export interface WebhookPost {
  url: URL;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  policy: UrlPolicy;
}

/** POSTs the body; resolves with the response's status (its body is discarded). */
export function postWebhook({ url, headers, body, timeoutMs, policy }: WebhookPost): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: checkedLookup(policy),
        agent: false, // one connection per delivery: nothing pooled across hosts or checks
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        response.on('error', () => {}); // a receiver that stops mid-body: the status is what counts
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
