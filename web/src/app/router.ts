// A router of three routes needs no library: the path from the History API,
// observable for React's useSyncExternalStore.
import { useSyncExternalStore } from 'react';

const NAVIGATE = 'app:navigate';

function subscribe(listener: () => void): () => void {
  window.addEventListener('popstate', listener);
  window.addEventListener(NAVIGATE, listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener(NAVIGATE, listener);
  };
}

const current = () => location.pathname + location.search;

export function useLocation(): string {
  return useSyncExternalStore(subscribe, current);
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === current()) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAVIGATE));
}

/** The document id of /documents/<id>, if that is the path. */
export function matchDocument(path: string): string | null {
  const match = /^\/documents\/([^/?#]+)/.exec(path);
  return match ? decodeURIComponent(match[1]!) : null;
}

/** The link secret of /join/<secret>, if that is the path (share links). */
export function matchJoin(path: string): string | null {
  const match = /^\/join\/([^/?#]+)/.exec(path);
  return match ? decodeURIComponent(match[1]!) : null;
}
