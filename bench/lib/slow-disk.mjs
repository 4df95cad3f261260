// A model of a slower disk, for the embedded rows only (BENCH_FSYNC_DELAY_MS
// in the bench's environment; bench/lib/processes.ts preloads this into our
// node): every fsync Node makes takes that many milliseconds longer. A sync
// call holds the thread that long (as a slow fsync does); an async one
// answers that much later without holding it (as a slow fsync in libuv's
// pool does). Many cloud volumes sync in 1-5 ms; this machine's disk in ~0.4.
import fs from 'node:fs';

const delayMs = Number(process.env.BENCH_FSYNC_DELAY_MS);
if (!(delayMs > 0)) throw new Error('slow-disk.mjs: BENCH_FSYNC_DELAY_MS must be a positive number of milliseconds');
const cell = new Int32Array(new SharedArrayBuffer(4));
const fsyncSync = fs.fsyncSync;
fs.fsyncSync = function slowFsyncSync(fd) {
  fsyncSync.call(fs, fd);
  Atomics.wait(cell, 0, 0, delayMs);
};
const fsync = fs.fsync;
fs.fsync = function slowFsync(fd, done) {
  fsync.call(fs, fd, (error) => setTimeout(() => done(error), delayMs));
};
