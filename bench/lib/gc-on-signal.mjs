// Preloaded into both servers by the memory workloads only
// (node --expose-gc --import ./bench/lib/gc-on-signal.mjs): a full
// collection on SIGUSR2, so that memory is read after garbage is gone
// rather than wherever V8 happened to be in its collection cycle, then one
// line on stderr with process.memoryUsage() for the bench to read.
// Product code is untouched; both sides get the same treatment.
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  process.stderr.write(`BENCH_MEMORY ${JSON.stringify(process.memoryUsage())}\n`);
});
