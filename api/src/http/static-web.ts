// Serves the web client: the built app (web/dist) when present, else the
// placeholder page. Paths that are not files get index.html (client-side
// routes such as /documents/<id>). Hashed assets may be cached; the rest not.
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const webRoot = () => {
  const dist = fileURLToPath(new URL('../../../web/dist', import.meta.url));
  return existsSync(path.join(dist, 'index.html')) ? dist : fileURLToPath(new URL('../../../web/public', import.meta.url));
};

export function createStaticHandler(root = webRoot()) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://local');
    let file = path.normalize(path.join(root, decodeURIComponent(url.pathname)));
    if (!file.startsWith(root)) file = path.join(root, 'index.html'); // no escaping the root
    if (!existsSync(file) || !statSync(file).isFile()) file = path.join(root, 'index.html');
    const hashed = /[.-][0-9a-zA-Z_-]{8,}\.(js|css|woff2|png|svg)$/.test(file);
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    createReadStream(file).pipe(res);
  };
}
