// Runs `prisma generate` on machines where Prisma's native schema engine
// cannot be downloaded: the generator itself is WASM and only needs the
// variable to name an existing file.
//
// Then it puts the query compiler (WebAssembly, 3.4 MB) in a file beside
// the client. The generated client imports it as a base64 module, and a
// loaded module stays in V8's heap for good: its source text and its
// string, 4.6 MB each, in every node. A file's bytes are read, compiled
// and dropped.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const result = spawnSync('npx', ['prisma', 'generate'], { stdio: 'inherit', env });
if (result.status !== 0) process.exit(result.status ?? 1);

const clientClass = new URL('../api/src/store/generated/internal/class.ts', import.meta.url);
const source = readFileSync(clientClass, 'utf8');
const loader = /const \{ wasm \} = await import\("(@prisma\/client\/runtime\/[\w.]+\.wasm-base64\.mjs)"\)\s*\n\s*return await decodeBase64AsWasm\(wasm\)/;
const found = source.match(loader);
if (!found) {
  console.error(`prisma-generate: ${fileURLToPath(clientClass)} no longer loads the query compiler as this script expects; update the script for this Prisma version`);
  process.exit(1);
}
const { wasm } = await import(found[1]);
writeFileSync(new URL('query-compiler.wasm', clientClass), Buffer.from(wasm, 'base64'));
writeFileSync(
  clientClass,
  source.replace(loader, "const { readFile } = await import('node:fs/promises')\n    return new WebAssembly.Module(await readFile(new URL('./query-compiler.wasm', import.meta.url)))"),
);
