// What scripts/prisma-generate.mjs does to the generated client.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

const internal = new URL('./generated/internal/', import.meta.url);

test("the client loads Prisma's query compiler from a file, not from a base64 module that would stay in the heap", () => {
  const clientClass = readFileSync(new URL('class.ts', internal), 'utf8');
  expect(clientClass).not.toContain('wasm-base64');
  expect(clientClass).toContain("readFile(new URL('./query-compiler.wasm', import.meta.url))");
  expect(WebAssembly.validate(readFileSync(new URL('query-compiler.wasm', internal)))).toBe(true);
});
