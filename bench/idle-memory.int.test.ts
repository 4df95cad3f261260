// An idle socket with one document subscription must stay small on the
// node (issue 21: ≤ 8 KiB of heap per connection at 5,000 sockets; before
// the work on it, ~19-21 KiB). Here the cost of 1,000 more sockets, from
// 500 to 1,500: the difference leaves out what the node grows by once
// (code compiled for the first sockets, tables sized once), which a figure
// averaged from zero spreads over the sockets. It counts the data V8 keeps
// and the ArrayBuffers (jsPerConnection), not compiled code (V8 compiles as
// it goes, more or less with the machine's load) nor PGlite's WebAssembly
// memory (PostgreSQL's, growing in steps of its own): with them it read
// 7.3-8.5 KiB here and once 9.1 in CI; without, 6.7-7.5 in six runs, and
// 5.8-7.1 in four since graphql-ws gets messages parsed (socket-server.ts).
// A planted leak of ~12 KB per socket reads 19.3. The bench's
// idle-connections row gives the heap figure at 5,000.
import { describe, expect, it } from 'vitest';
import { addedPerConnection, idleConnections } from './workloads/memory.ts';
import { launch } from './lib/targets.ts';

const FROM = 500;
const TO = 1_500;
/** KiB of V8's heap used (less compiled code) + ArrayBuffers per idle socket, from FROM to TO sockets. */
const BOUND_KIB = 9;

describe('idle connections', () => {
  it(`cost the node at most ${BOUND_KIB} KiB of heap each (from ${FROM} to ${TO} sockets, one document subscription each)`, async () => {
    const target = await launch('ours', 'embedded', null, { gcOnSignal: true, keepBytecode: true });
    try {
      const [from, to] = await idleConnections(target, [FROM, TO]);
      const perSocket = addedPerConnection(from!, to!, 'jsPerConnection');
      expect(perSocket / 1024).toBeLessThan(BOUND_KIB);
    } finally {
      await target.dispose();
    }
  }, 300_000);
});
