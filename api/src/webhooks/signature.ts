// How a delivery is signed, and how a receiver checks it (docs/protocol.md,
// "Events and webhooks"). The signature covers the timestamp and the raw
// body, so a captured delivery cannot be replayed later with a new time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-collab-signature';
export const TIMESTAMP_HEADER = 'x-collab-timestamp';
export const EVENT_ID_HEADER = 'x-collab-event-id';
export const WEBHOOK_ID_HEADER = 'x-collab-webhook-id';

/** `sha256=` + hex HMAC-SHA256 of `<timestamp>.<raw body>` with the webhook's secret; `timestamp` in Unix seconds. */
export function sign(secret: string, timestamp: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** Whether `signature` is the body's, and `timestamp` within `toleranceSeconds` of `now` (ms). */
export function verify(secret: string, signature: string, timestamp: string, body: string, now = Date.now(), toleranceSeconds = 300): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
