// The converter's worker thread: the same results as converting in place,
// the main thread free meanwhile, and a conversion that runs too long
// ended with a typed error without taking the next one down.
import { afterEach, describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { AppError } from '../errors.ts';
import { createConverter, type Converter } from './converter.ts';
import { exportContent, importContent } from './formats.ts';

const small = new Delta().insert('Hi ').insert('there', { bold: true }).insert('\n', { header: 2 });

/** About 60 000 ops: seconds of conversion on these machines. */
function large(): Delta {
  const d = new Delta();
  for (let i = 0; d.ops.length < 60_000; i++) {
    d.insert(`Paragraph ${i} `).insert('bold', { bold: true }).insert(' and ').insert('a link', { link: `https://example.com/${i}` });
    d.insert('\n', i % 5 === 0 ? { list: 'bullet' } : undefined);
  }
  return d;
}

describe('converter (worker thread)', () => {
  let converter: Converter | undefined;
  afterEach(async () => {
    await converter?.close();
  });

  it('gives what converting in place gives, both ways', async () => {
    converter = createConverter();
    for (const format of ['TEXT', 'MARKDOWN', 'HTML'] as const) {
      const file = await converter.export(small, format, 'T');
      expect(file).toBe(exportContent(small, format, 'T'));
      expect((await converter.import(file, format)).ops).toEqual(importContent(file, format).ops);
    }
  });

  it('keeps the main thread free while it converts a large document', async () => {
    converter = createConverter();
    await converter.export(small, 'TEXT', 'warm-up');
    let settled = false;
    const exported = converter.export(large(), 'MARKDOWN', 'T').finally(() => (settled = true));
    // Event-loop turns that ran while the worker converted: none if it ran here.
    let turns = 0;
    while (!settled) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      turns++;
    }
    expect((await exported).length).toBeGreaterThan(100_000);
    expect(turns).toBeGreaterThan(10);
  });

  it('ends a conversion that runs too long with BAD_USER_INPUT (convertMs), then serves the next', async () => {
    // A large export takes seconds; 200 ms (counted from when the loaded worker receives it) is far below.
    converter = createConverter({ timeoutMs: 200 });
    await converter.export(small, 'TEXT', 'warm-up');
    const slow = converter.export(large(), 'HTML', 'T');
    const next = converter.export(small, 'HTML', 'T');
    const error = await slow.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', details: { limit: 'convertMs', max: 200 } });
    expect(await next).toBe(exportContent(small, 'HTML', 'T'));
  });

  it('refuses more conversions than maxInFlight with RATE_LIMITED, and takes them again once some are done', async () => {
    converter = createConverter({ maxInFlight: 2 });
    const first = converter.export(small, 'TEXT', 'a');
    const second = converter.export(small, 'TEXT', 'b');
    await expect(converter.export(small, 'TEXT', 'c')).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'convertQueue' } });
    expect(await Promise.all([first, second])).toEqual(['Hi there\n', 'Hi there\n']);
    expect(await converter.export(small, 'TEXT', 'd')).toBe('Hi there\n');
  });

  it('refuses requests once closed', async () => {
    converter = createConverter();
    await converter.close();
    await expect(converter.export(small, 'TEXT', 'T')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
