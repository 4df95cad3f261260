// Preloaded into both servers by the memory workloads only
// (node --expose-gc --import ./bench/lib/gc-on-signal.mjs): a full
// collection on SIGUSR2, so that memory is read after garbage is gone
// rather than wherever V8 happened to be in its collection cycle, then one
// line on stderr with process.memoryUsage() for the bench to read.
// Product code is untouched; both sides get the same treatment.
// `code`: the part of heapUsed that is compiled code and its metadata (V8's
// code and trusted spaces), which grows as V8 compiles, not with the load.
import v8 from 'node:v8';

process.on('SIGUSR2', () => {
  globalThis.gc?.();
  const code = v8
    .getHeapSpaceStatistics()
    .filter((s) => /^(code|trusted|code_large_object|trusted_large_object)_space$/.test(s.space_name))
    .reduce((n, s) => n + s.space_used_size, 0);
  process.stderr.write(`BENCH_MEMORY ${JSON.stringify({ ...process.memoryUsage(), code })}\n`);
});
