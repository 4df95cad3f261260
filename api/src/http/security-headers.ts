// Response headers that tell a browser how far to trust what we send.

/** On every answer of the node, whatever the path or status. */
export const BASELINE_HEADERS: Readonly<Record<string, string>> = {
  // A JSON error or a text file is never run as script or style.
  'X-Content-Type-Options': 'nosniff',
  // Document ids are in the editor's URLs: never send them to another site.
  'Referrer-Policy': 'no-referrer',
  // No page of ours inside another site's frame (clickjacking); CSP's
  // frame-ancestors says the same to browsers that read it.
  'X-Frame-Options': 'DENY',
};

/**
 * The web client's Content-Security-Policy (web/dist, built by Vite): its
 * scripts and styles are files of its own (no inline script; React and
 * Quill set styles through the CSSOM, which style-src does not govern); it
 * talks to /graphql over fetch and a same-origin WebSocket ('self' covers
 * ws:/wss: of the same host in CSP Level 3); images in documents may come
 * from anywhere over https, or be data: URLs pasted into the editor.
 * GraphiQL is not under it: it runs inline scripts, and is off in production.
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: https:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
