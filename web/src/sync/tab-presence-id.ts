// One presence id per browser tab, kept across reloads of that tab: the
// reloaded page takes over the old page's presence (the server keys it by
// user and this id) instead of adding a second one, even when the old
// page's socket has not been seen to close, and never shows it as someone
// else. sessionStorage survives a reload and belongs to one tab, but a
// duplicated tab gets a copy: a Web Lock held for the page's life tells a
// live tab (keep your own id) from a page being replaced (take it).
import { randomClientId } from './scheduler.ts';
import { holdWebLock, webLocksSupported } from './web-lock.ts';

const KEY = 'collab:presence-id';
const lockName = (id: string) => `collab-presence:${id}`;
/** How long a reloaded page waits for the page it replaces to free the id, milliseconds. */
const RELOAD_WAIT_MS = 1_000;

let claimed: Promise<string> | null = null;

/** This tab's presence id (the same promise for the whole page). */
export function tabPresenceId(): Promise<string> {
  claimed ??= claim();
  return claimed;
}

async function claim(): Promise<string> {
  const fresh = randomClientId().replace(/^web-/, 'tab-');
  // Without locks two tabs could share an id: a fresh one per page, as before.
  if (!webLocksSupported()) return fresh;
  let saved: string | null = null;
  try {
    saved = sessionStorage.getItem(KEY);
  } catch {
    return fresh; // storage refused
  }
  if (saved && /^tab-[0-9a-f]{24}$/.test(saved) && (await holdWebLock(lockName(saved), RELOAD_WAIT_MS))) return saved;
  await holdWebLock(lockName(fresh), 0);
  try {
    sessionStorage.setItem(KEY, fresh);
  } catch {
    // not kept: the next reload gets a new id
  }
  return fresh;
}
