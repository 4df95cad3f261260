// Serves the web client: the built app (web/dist) when present, else the
// placeholder page. Paths that are not files get index.html (client-side
// routes such as /documents/<id>). Hashed assets may be cached; the rest not.
// Whatever the path, the answer is a file under the root, a 404, or a 400:
// a path that does not decode, holds a NUL or climbs out of the root never
// reaches the file system.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompressionCache, MIN_COMPRESS_BYTES, negotiateEncoding } from './compression.ts';
import { WEB_APP_CSP } from './security-headers.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/** Types worth compressing (images and fonts here are compressed already). */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.map']);

const webRoot = () => {
  const dist = fileURLToPath(new URL('../../../web/dist', import.meta.url));
  return existsSync(path.join(dist, 'index.html')) ? dist : fileURLToPath(new URL('../../../web/public', import.meta.url));
};

export interface StaticOptions {
  /** Production: source maps (*.map) are not served. */
  production?: boolean;
  compression?: CompressionCache;
}

/** The decoded path of a request target, or null when it is not one we could serve (not origin-form, bad %-encoding, NUL). */
export function decodedPath(target: string | undefined): string | null {
  const raw = (target ?? '/').split(/[?#]/, 1)[0]!;
  if (!raw.startsWith('/')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return null; // URIError: a stray % or an invalid UTF-8 sequence
  }
  return decoded.includes('\0') ? null : decoded;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(text + '\n');
}

async function isFile(file: string): Promise<{ mtimeMs: number; size: number } | null> {
  try {
    const s = await stat(file);
    return s.isFile() ? s : null;
  } catch {
    return null;
  }
}

export function createStaticHandler(root = webRoot(), options: StaticOptions = {}) {
  const base = path.resolve(root);
  const index = path.join(base, 'index.html');
  const compression = options.compression ?? new CompressionCache();

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const wanted = decodedPath(req.url);
    if (wanted === null) return plain(res, 400, 'Bad request path');
    const resolved = path.join(base, wanted);
    // With the separator: /srv/web/dist-x is not inside /srv/web/dist.
    if (resolved !== base && !resolved.startsWith(base + path.sep)) return plain(res, 404, 'Not found');
    if (options.production && resolved.endsWith('.map')) return plain(res, 404, 'Not found');

    let file = resolved;
    let found = await isFile(file);
    if (!found) {
      file = index;
      found = await isFile(file);
      if (!found) return plain(res, 404, 'Not found');
    }
    const ext = path.extname(file);
    const hashed = /[.-][0-9a-zA-Z_-]{8,}\.(js|css|woff2|png|svg)$/.test(file);
    const headers: Record<string, string> = {
      'Content-Type': TYPES[ext] ?? 'application/octet-stream',
      'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-store',
    };
    if (ext === '.html') headers['Content-Security-Policy'] = WEB_APP_CSP;

    let body: Buffer = await readFile(file);
    if (COMPRESSIBLE.has(ext) && body.length >= MIN_COMPRESS_BYTES) {
      headers.Vary = 'Accept-Encoding';
      const encoding = negotiateEncoding(req.headers['accept-encoding']);
      if (encoding) {
        body = await compression.compress(body, encoding, `${file}:${found.mtimeMs}:${found.size}`);
        headers['Content-Encoding'] = encoding;
      }
    }
    headers['Content-Length'] = String(body.length);
    res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : body);
  };
}
