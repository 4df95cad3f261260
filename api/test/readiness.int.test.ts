// /readyz and the metrics while Redis is away (docs/architecture.md, Modes): the
// node still serves from the log, so it stays ready (200) and says it is
// degraded and why, in the body and in a gauge; when Redis is back it is ok
// again. Without its database it is not ready (503). A private Redis of our
// own is stopped; the shared one is never touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocument, DOC_STATE, gql, signUp, startServer, type TestServer } from './harness.ts';
import { captureLogs, type CapturedLogs } from './log-capture.ts';
import { startRedis, type PrivateRedis } from './cluster/processes.ts';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) console.warn('[tests] DATABASE_URL not set: the /readyz tests with Redis down (scaled mode) are SKIPPED.');

describe.skipIf(!databaseUrl)('/readyz while Redis is down (scaled)', { timeout: 60_000 }, () => {
  let redis: PrivateRedis;
  let server: TestServer;
  let logs: CapturedLogs;

  beforeAll(async () => {
    redis = await startRedis();
    logs = captureLogs('info');
    server = await startServer('scaled', { REDIS_URL: redis.url }, { logger: logs.logger });
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  const ready = async () => {
    const res = await fetch(`${server.url}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return text.split('\n').find((line) => line.startsWith(name + ' '))?.split(' ')[1];
  };

  it('stays ready (200) and says degraded, pubsub down, in the body and the metrics; ok again when Redis is back', async () => {
    expect(await ready()).toEqual({ status: 200, body: { ready: true, status: 'ok', database: true, pubsub: true } });
    expect(await metric('collab_degraded')).toBe('0');

    const down = logs.next((l) => l.msg.startsWith('pub/sub is down'), 'saying pub/sub is down');
    await redis.stop();
    await down;
    expect(await ready()).toEqual({ status: 200, body: { ready: true, status: 'degraded', database: true, pubsub: false, degraded: ['pubsub'] } });
    expect(await metric('collab_degraded')).toBe('1');
    expect(await metric('collab_dependency_up{dependency="pubsub"}')).toBe('0');
    expect(await metric('collab_dependency_up{dependency="database"}')).toBe('1');
    // It does serve: writes and reads go through.
    const owner = await signUp(server, 'degraded');
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'Still here\n' }] });
    expect((await gql(server, DOC_STATE, { id }, owner.token)).data?.document.version).toBe(1);

    const back = logs.next((l) => l.msg.startsWith('pub/sub is back'), 'saying pub/sub is back');
    await redis.start();
    await back;
    expect(await ready()).toEqual({ status: 200, body: { ready: true, status: 'ok', database: true, pubsub: true } });
    expect(await metric('collab_degraded')).toBe('0');
  });
});
