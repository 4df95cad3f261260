// The service worker: keeps the app shell (index.html and the hashed
// assets of this build) so that the editor opens while offline, with the
// edits IndexedDB kept. Navigations go to the network first (a deploy is
// seen at once) and fall back to the kept shell; the shell's own files come
// from the cache. Nothing else is touched: /graphql and every other path
// always go to the network, never into a cache.
//
// Built by the `service-worker` plugin in web/vite.config.ts, which
// prepends BUILD (a hash of this build's files) and SHELL (their paths):
// each deploy gets its own cache, and activating it deletes the older ones.
// Typed by hand: the DOM lib the app is checked with has no worker scope.

interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface WorkerScope {
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  readonly location: Location;
}

declare const BUILD: string;
declare const SHELL: readonly string[];

const scope = self as unknown as WorkerScope;
const PREFIX = 'collab-shell-';
const CACHE = PREFIX + BUILD;
const INDEX = '/index.html';
const shellPaths = new Set(SHELL);

scope.addEventListener('install', (event) => {
  // All or nothing: a half-filled cache would open a broken app offline.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([INDEX, ...SHELL]))
      .then(() => scope.skipWaiting()),
  );
});

scope.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith(PREFIX) && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => scope.clients.claim()),
  );
});

/** Paths of the server's own that are never the app, even when navigated to. */
const notApp = (path: string) => path.startsWith('/graphql') || path === '/metrics' || path === '/healthz' || path === '/readyz' || path === '/sw.js';

scope.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== scope.location.origin || notApp(url.pathname)) return;
  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(() => shell(INDEX, request)));
  } else if (shellPaths.has(url.pathname)) {
    event.respondWith(shell(url.pathname, request));
  }
});

/** A file of the shell from this build's cache, else from the network. */
async function shell(path: string, request: Request): Promise<Response> {
  const kept = await (await caches.open(CACHE)).match(path);
  return kept ?? fetch(request);
}
