// A Web Lock held for as long as the page wants it: the browser frees it
// when the page goes away (closed, reloaded, crashed), which is how one page
// learns that another page is done with a name (a client id, a tab's
// presence id). Web Locks need a secure context (https or localhost).

export const webLocksSupported = (): boolean => typeof navigator !== 'undefined' && 'locks' in navigator;

/**
 * Takes the lock `name` if it is free within `waitMs` (0: only if free
 * now) and keeps it; resolves to its release function, or null if another
 * page holds it.
 */
export function holdWebLock(name: string, waitMs: number): Promise<(() => void) | null> {
  return new Promise((resolve, reject) => {
    const hold = (lock: Lock | null) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      return new Promise<void>((release) => resolve(release));
    };
    const request = waitMs > 0 ? navigator.locks.request(name, { signal: AbortSignal.timeout(waitMs) }, hold) : navigator.locks.request(name, { ifAvailable: true }, hold);
    request.catch((error: unknown) => {
      // Not freed in time: someone else's live page.
      if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) resolve(null);
      else reject(error);
    });
  });
}
