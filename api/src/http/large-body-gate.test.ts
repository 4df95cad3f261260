// Large bodies take turns once read; small ones never wait, and a client
// that sends its large body slowly holds no turn. Real HTTP server and
// clients; each large request holds its turn until the test lets it go.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBodyWithin } from './body-limit.ts';
import { LARGE_BODY_BYTES, LargeBodyGate } from './large-body-gate.ts';

const gate = new LargeBodyGate({ limit: 2, rest: 0 });
/** One per large request that got its turn: calling it ends the request. */
const holding: Array<() => void> = [];
let server: http.Server;
let port: number;

beforeAll(async () => {
  // As server.ts: the body is read first, then handled in its turn; here the answer is its length.
  server = http.createServer(async (req, res) => {
    const body = await readBodyWithin(req, 10 * LARGE_BODY_BYTES).catch(() => null);
    if (!body) return void res.destroy();
    await gate.run(body.length, async () => {
      if (body.length > LARGE_BODY_BYTES) await new Promise<void>((release) => holding.push(release));
      res.end(String(body.length));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (bytes: number) => fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: Buffer.alloc(bytes) }).then((r) => r.text());

/** A POST whose body is sent in two halves: the second when `finish` is called. */
function halfSent(bytes: number) {
  const req = http.request({ port, host: '127.0.0.1', method: 'POST', headers: { 'content-length': bytes } });
  const answer = new Promise<string>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
  });
  req.write(Buffer.alloc(bytes / 2));
  return { answer, finish: () => req.end(Buffer.alloc(bytes / 2)) };
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
};

describe('LargeBodyGate', () => {
  it('lets two large requests in at once, queues the third, and never holds up a small one', async () => {
    const large = 4 * LARGE_BODY_BYTES;
    const answers = [post(large), post(large), post(large)];
    await until(() => holding.length === 2 && gate.waiting === 1);

    // A small request is answered while both turns are taken.
    expect(await post(100)).toBe('100');
    expect(gate.waiting).toBe(1);

    holding.shift()!(); // the first ends: its turn passes to the third
    await until(() => holding.length === 2 && gate.waiting === 0);
    holding.shift()!();
    holding.shift()!();
    expect(await Promise.all(answers)).toEqual([String(large), String(large), String(large)]);
    expect(gate.inProgress).toBe(0);
  });

  it('gives no turn to a large body still arriving: a slow sender holds up nobody', async () => {
    const large = 4 * LARGE_BODY_BYTES;
    const slow = halfSent(large);
    const answers = [post(large), post(large)];
    await until(() => holding.length === 2); // both turns go to the bodies that arrived
    expect(gate.waiting).toBe(0);
    slow.finish();
    await until(() => gate.waiting === 1); // now read, it waits for a turn
    holding.shift()!();
    await until(() => holding.length === 2);
    holding.shift()!();
    holding.shift()!();
    expect(await Promise.all([...answers, slow.answer])).toEqual([String(large), String(large), String(large)]);
  });
});

describe('LargeBodyGate, resting between turns', () => {
  it('rests as long as a turn took (rest 1) while people send small requests, and not for an agent alone', async () => {
    let now = 0;
    const timers: Array<{ ms: number; fn: () => void }> = [];
    const rested = new LargeBodyGate({ limit: 1, rest: 1, now: () => now, after: (ms, fn) => timers.push({ ms, fn }) });
    const large = LARGE_BODY_BYTES + 1;
    const started: string[] = [];
    const turn = (name: string, ms: number) => async () => {
      started.push(name);
      now += ms;
    };

    // An agent alone: the next large request starts as the last one ends.
    await Promise.all([rested.run(large, turn('a', 40)), rested.run(large, turn('b', 40))]);
    expect(started).toEqual(['a', 'b']);
    expect(timers).toEqual([]);

    // A person is typing: after a 40 ms turn the node rests 40 ms before the next large one.
    await rested.run(100, async () => {});
    const c = rested.run(large, turn('c', 40));
    const d = rested.run(large, turn('d', 40));
    await c;
    expect(started).toEqual(['a', 'b', 'c']);
    expect(rested.waiting).toBe(1);
    expect(timers.map((t) => t.ms)).toEqual([40]);
    timers.shift()!.fn();
    await d;
    expect(started).toEqual(['a', 'b', 'c', 'd']);

    // A second without small requests: no rest again.
    now += 2_000;
    timers.shift()!.fn(); // d's rest (people were there when it ended)
    await rested.run(large, turn('e', 40));
    expect(timers).toEqual([]);
  });
});
