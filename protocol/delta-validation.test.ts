// The parser's own caps answer like the configured limits (docs/protocol.md,
// "Limits"): BAD_USER_INPUT with `limit` naming the limit and `max` its
// value, so a client branches on one shape whichever check refused it.
// And what no setting allows: ill-formed text or NUL anywhere, embeds
// nested too deep, dangerous URLs; then the node's policy (checkDelta):
// supported formats only, sizes in bytes.
import { describe, expect, it } from 'vitest';
import { checkDelta, DEFAULT_DELTA_LIMITS, MAX_EMBED_DEPTH, parseDelta, type DeltaPolicy } from './delta-validation.ts';

const bad = (details?: Record<string, unknown>) => expect.objectContaining({ code: 'BAD_USER_INPUT', ...(details ? { details: expect.objectContaining(details) } : {}) });

describe('parseDelta limits', () => {
  it('refuses more ops than maxOps with limit "deltaOps" and max', () => {
    const ops = Array.from({ length: 4 }, (_, i) => (i % 2 ? { retain: 1 } : { retain: 1, attributes: { bold: true } }));
    const limits = { ...DEFAULT_DELTA_LIMITS, maxOps: 3 };
    expect(() => parseDelta({ ops }, limits)).toThrow(bad({ limit: 'deltaOps', max: 3 }));
    expect(parseDelta({ ops: ops.slice(0, 3) }, limits).ops).toHaveLength(3);
  });

  it('refuses inserting more than maxInsertBytes (UTF-8 text + embed JSON) with limit "deltaInsertBytes" and max', () => {
    const limits = { ...DEFAULT_DELTA_LIMITS, maxInsertBytes: 20 };
    // 'é' is 2 bytes; { "image": "x" } is 13.
    expect(() => parseDelta({ ops: [{ insert: 'éé' }, { insert: { image: 'x' } }, { insert: 'abcd' }] }, limits)).toThrow(bad({ limit: 'deltaInsertBytes', max: 20 }));
    expect(parseDelta({ ops: [{ insert: 'éé' }, { insert: { image: 'x' } }, { insert: 'abc' }] }, limits).length()).toBe(6);
  });

  it('refuses an embed larger than maxEmbedBytes with limit "embedBytes"', () => {
    const limits = { ...DEFAULT_DELTA_LIMITS, maxEmbedBytes: 50 };
    expect(() => parseDelta({ ops: [{ insert: { image: `https://e.com/${'a'.repeat(40)}` } }] }, limits)).toThrow(bad({ limit: 'embedBytes', max: 50 }));
  });
});

describe('parseDelta: text, nesting, URLs', () => {
  it.each([
    ['a lone high surrogate in text', { ops: [{ insert: 'a\uD83D' }] }],
    ['a lone low surrogate in text', { ops: [{ insert: '\uDE00b' }] }],
    ['NUL in text', { ops: [{ insert: 'a\u0000b' }] }],
    ['NUL in an attribute value', { ops: [{ insert: 'a', attributes: { color: 'red\u0000' } }] }],
    ['a lone surrogate in an attribute name', { ops: [{ insert: 'a', attributes: { '\uD800': true } }] }],
    ['a lone surrogate deep in an embed', { ops: [{ insert: { custom: { a: [{ b: 'x\uDC00' }] } } }] }],
    ['NUL in an embed key', { ops: [{ insert: { custom: { 'k\u0000': 1 } } }] }],
    ['NUL in the embed type', { ops: [{ insert: { 'im\u0000g': 'x' } }] }],
  ])('refuses %s', (_name, input) => {
    expect(() => parseDelta(input)).toThrow(bad());
  });

  it('keeps well-formed astral text (a pair is one character of two units)', () => {
    expect(parseDelta({ ops: [{ insert: '😀\n' }] }).length()).toBe(3);
  });

  it(`refuses embeds nested deeper than ${MAX_EMBED_DEPTH} levels without overflowing the stack`, () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => parseDelta({ ops: [{ insert: { custom: deep } }] })).toThrow(bad({ limit: 'embedDepth', max: MAX_EMBED_DEPTH }));
    let ok: unknown = 'x';
    for (let i = 0; i < MAX_EMBED_DEPTH; i++) ok = { k: ok };
    expect(parseDelta({ ops: [{ insert: { custom: ok } }] }).length()).toBe(1);
    ok = { k: ok };
    expect(() => parseDelta({ ops: [{ insert: { custom: ok } }] })).toThrow(bad({ limit: 'embedDepth' }));
  });

  it.each(['javascript:alert(1)', ' JavaScript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', 'file:///etc/passwd'])(
    'refuses the link %j',
    (url) => {
      expect(() => parseDelta({ ops: [{ insert: 'a', attributes: { link: url } }] })).toThrow(bad({ field: 'link' }));
      expect(() => parseDelta({ ops: [{ retain: 1, attributes: { link: url } }] })).toThrow(bad({ field: 'link' }));
    },
  );

  it.each(['https://example.com/a?b#c', 'http://example.com', 'mailto:someone@example.com', '/documents/1', 'page#top', '//example.com/x'])('keeps the link %j', (url) => {
    expect(parseDelta({ ops: [{ insert: 'a', attributes: { link: url } }] }).ops[0]?.attributes?.link).toBe(url);
  });

  it('allows images over http(s), relative, or inline raster data; nothing else', () => {
    for (const src of ['https://example.com/a.png', '/a.png', 'data:image/png;base64,iVBORw0KGgo=']) {
      expect(parseDelta({ ops: [{ insert: { image: src } }] }).length()).toBe(1);
    }
    for (const src of ['javascript:alert(1)', 'data:image/svg+xml;base64,PHN2Zz4=', 'data:text/html,x', 'mailto:a@b.c']) {
      expect(() => parseDelta({ ops: [{ insert: { image: src } }] })).toThrow(bad({ field: 'image' }));
    }
    expect(() => parseDelta({ ops: [{ insert: { image: { src: 'https://e.com' } } }] })).toThrow(bad({ field: 'image' }));
    expect(() => parseDelta({ ops: [{ insert: { video: 'javascript:alert(1)' } }] })).toThrow(bad({ field: 'video' }));
  });
});

describe('checkDelta (the node policy)', () => {
  const policy: DeltaPolicy = { maxOps: 10, maxInsertBytes: 100, maxEmbedBytes: 40, formats: new Set(['bold', 'link', 'image']) };

  it('accepts supported formats and embeds within the sizes', () => {
    expect(() => checkDelta(parseDelta({ ops: [{ insert: 'hi', attributes: { bold: true } }, { insert: { image: '/a.png' } }] }), policy)).not.toThrow();
  });

  it('refuses an unsupported attribute name or embed type, naming it in `field`', () => {
    expect(() => checkDelta(parseDelta({ ops: [{ insert: 'hi', attributes: { onclick: 'x' } }] }), policy)).toThrow(bad({ field: 'onclick' }));
    expect(() => checkDelta(parseDelta({ ops: [{ retain: 1, attributes: { italic: true } }] }), policy)).toThrow(bad({ field: 'italic' }));
    expect(() => checkDelta(parseDelta({ ops: [{ insert: { video: 'https://e.com' } }] }), policy)).toThrow(bad({ field: 'video' }));
  });

  it('applies the configured byte limits', () => {
    expect(() => checkDelta(parseDelta({ ops: [{ insert: { image: `/${'a'.repeat(40)}` } }] }), policy)).toThrow(bad({ limit: 'embedBytes', max: 40 }));
    expect(() => checkDelta(parseDelta({ ops: [{ insert: '€'.repeat(34) }] }), policy)).toThrow(bad({ limit: 'deltaInsertBytes', max: 100 }));
    expect(() => checkDelta(parseDelta({ ops: [{ insert: '€'.repeat(33) }] }), policy)).not.toThrow();
  });
});
