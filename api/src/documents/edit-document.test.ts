// The request hash of editDocument is stored with the op (idempotency): it
// must stay the SHA-256 of the same canonical JSON however it is computed,
// or a retry after a deploy would be refused as IDEMPOTENCY_KEY_REUSED.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashRequest } from './edit-document.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('hashRequest', () => {
  it('is the SHA-256 of the canonical JSON: keys sorted, null and absent dropped, strings escaped as JSON', () => {
    const text = 'line "one"\nline two é\u2028'.repeat(1_000);
    const hash = hashRequest({
      idempotencyKey: 'key-1',
      documentId: 'doc',
      runId: null,
      edits: [{ deleteText: { length: 3, index: 0 } }, { insertText: { text, index: 0, attributes: null } }],
      asSuggestion: true,
    });
    const canonical = `{"asSuggestion":true,"documentId":"doc","edits":[{"deleteText":{"index":0,"length":3}},{"insertText":{"index":0,"text":${JSON.stringify(text)}}}],"idempotencyKey":"key-1"}`;
    expect(hash).toBe(sha256(canonical));
  });

  it('tells apart requests that differ only inside a long text', () => {
    const base = { documentId: 'doc', idempotencyKey: 'k', edits: [{ insertText: { index: 0, text: 'a'.repeat(400_000) } }] };
    const other = { ...base, edits: [{ insertText: { index: 0, text: 'a'.repeat(399_999) + 'b' } }] };
    expect(hashRequest(base)).not.toBe(hashRequest(other));
  });
});
