// The refresh token travels only in this cookie: HttpOnly (no script can
// read it), SameSite=Strict, scoped to the API path, Secure outside
// plain-HTTP development.
export const REFRESH_COOKIE = 'refresh_token';
export const COOKIE_PATH = '/graphql';

export function refreshCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  const parts = [`${REFRESH_COOKIE}=${token}`, `Path=${COOKIE_PATH}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict'];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

export const clearRefreshCookie = (secure: boolean) => refreshCookie('', 0, secure);

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}
