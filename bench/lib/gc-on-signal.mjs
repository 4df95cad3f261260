// Preloaded into both servers by the memory workloads only
// (node --expose-gc --import ./bench/lib/gc-on-signal.mjs): a full
// collection on SIGUSR2, so that RSS is read after garbage is gone rather
// than wherever V8 happened to be in its collection cycle. Product code
// is untouched; both sides get the same treatment.
process.on('SIGUSR2', () => globalThis.gc?.());
