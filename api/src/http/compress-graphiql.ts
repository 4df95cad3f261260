// GraphiQL is ~9 MB of HTML; compressed it is a tenth of that. It is the
// only HTML yoga serves, and the same for everyone, so it is compressed once
// and kept (compression.ts). Nothing else yoga answers is touched: API
// replies stay uncompressed, SSE streams unbuffered.
import type { Plugin } from 'graphql-yoga';
import { type CompressionCache, MIN_COMPRESS_BYTES, negotiateEncoding } from './compression.ts';

export function compressGraphiQLPlugin(cache: CompressionCache): Plugin {
  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (!response.headers.get('content-type')?.startsWith('text/html') || response.headers.has('content-encoding') || !response.body) return;
      const encoding = negotiateEncoding(request.headers.get('accept-encoding'));
      const headers = new fetchAPI.Headers(response.headers);
      headers.append('Vary', 'Accept-Encoding');
      let body: Buffer = Buffer.from(await response.arrayBuffer());
      if (encoding && body.length >= MIN_COMPRESS_BYTES) {
        body = await cache.compress(body, encoding);
        headers.set('Content-Encoding', encoding);
      }
      headers.set('Content-Length', String(body.length));
      // Node's buffers here are on plain ArrayBuffers (zlib's output, arrayBuffer()'s copy).
      setResponse(new fetchAPI.Response(body as Uint8Array<ArrayBuffer>, { status: response.status, statusText: response.statusText, headers }));
    },
  };
}
