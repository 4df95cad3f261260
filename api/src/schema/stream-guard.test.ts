// The stream guard with a real AccessWatch on an in-process bus: the end of
// access ends a stream at once, even mid-wait and even when it happens while
// the stream is starting (watch first, then check).
import { describe, expect, it } from 'vitest';
import { AccessWatch, type AccessEvent } from '../auth/access-watch.ts';
import { createSubscriptionQueue } from '../collab/subscription-queue.ts';
import { AppError } from '../errors.ts';
import { createLocalBus } from '../pubsub/event-target-bus.ts';
import type { Context } from './builder.ts';
import { guardedStream, isAccessLost } from './stream-guard.ts';

const viewer = { userId: 'u1', sessionId: 's1' };
const contextWith = (access: AccessWatch) => ({ viewer, services: { access } }) as unknown as Context;

function setup() {
  const access = new AccessWatch(createLocalBus<AccessEvent>());
  const source = createSubscriptionQueue<number>(() => {});
  return { access, source, ctx: contextWith(access) };
}

describe('guardedStream', () => {
  it('passes events through while access lasts, then ends with NOT_FOUND when the member is removed', async () => {
    const { access, source, ctx } = setup();
    const stream = await guardedStream(ctx, 'd1', async () => source[Symbol.asyncIterator]());
    source.push(1);
    expect(await stream.next()).toEqual({ value: 1, done: false });
    const pending = stream.next(); // waiting for the next live event
    await access.publish({ kind: 'member-removed', documentId: 'd1', userId: 'someone-else' });
    await access.publish({ kind: 'member-removed', documentId: 'd1', userId: 'u1' });
    const last = await pending;
    expect(isAccessLost(last.value) && last.value.error).toMatchObject({ code: 'NOT_FOUND', details: { reason: 'ACCESS_REVOKED' } });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(access.size).toBe(0);
  });

  it('ends when the document is deleted, whoever watches', async () => {
    const { access, source, ctx } = setup();
    const stream = await guardedStream(ctx, 'd1', async () => source[Symbol.asyncIterator]());
    await access.publish({ kind: 'document-deleted', documentId: 'd1' });
    const last = await stream.next();
    expect(isAccessLost(last.value) && last.value.error.details).toEqual({ reason: 'DOCUMENT_DELETED' });
  });

  it('catches a removal that happens while the stream is starting (after its access check passed)', async () => {
    const { access, source, ctx } = setup();
    const stream = await guardedStream(ctx, 'd1', async () => {
      // The access check has passed; the removal lands before the stream is returned.
      await access.publish({ kind: 'member-removed', documentId: 'd1', userId: 'u1' });
      return source[Symbol.asyncIterator]();
    });
    source.push(1);
    const first = await stream.next();
    expect(isAccessLost(first.value)).toBe(true);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('ends with UNAUTHENTICATED when the session or API token it acts in is revoked (a stream over HTTP has no socket to close)', async () => {
    const { access, source, ctx } = setup();
    const stream = await guardedStream(ctx, 'd1', async () => source[Symbol.asyncIterator]());
    const pending = stream.next();
    await access.publish({ kind: 'sessions-revoked', userId: 'u1', sessionIds: ['another'] });
    await access.publish({ kind: 'sessions-revoked', userId: 'u1', sessionIds: ['s1'] });
    const last = await pending;
    expect(isAccessLost(last.value) && last.value.error).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'SESSION_REVOKED' } });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(access.size).toBe(0);

    const token = { id: 't1', userId: 'u1', name: 'bot', role: 'EDITOR', documentId: null };
    const agent = await guardedStream({ ...ctx, viewer: { userId: 'u1', sessionId: 't1', token } } as Context, 'd1', async () => createSubscriptionQueue<number>(() => {})[Symbol.asyncIterator]());
    const waiting = agent.next();
    await access.publish({ kind: 'sessions-revoked', userId: 'u1', sessionIds: ['t1'] });
    const end = await waiting;
    expect(isAccessLost(end.value) && end.value.error).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'TOKEN_REVOKED' } });
  });

  it('stops watching when the client ends the stream, or when starting fails', async () => {
    const { access, source, ctx } = setup();
    const stream = await guardedStream(ctx, 'd1', async () => source[Symbol.asyncIterator]());
    expect(access.size).toBe(2); // the document, and the session (or API token) it acts in
    await stream.return!();
    expect(access.size).toBe(0);
    await expect(
      guardedStream(ctx, 'd1', async () => {
        throw new AppError('NOT_FOUND', 'Document not found');
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(access.size).toBe(0);
  });

  it('asks anonymous callers to log in before anything starts', async () => {
    const { access } = setup();
    const ctx = { viewer: null, services: { access } } as unknown as Context;
    await expect(guardedStream(ctx, 'd1', async () => createSubscriptionQueue<number>(() => {})[Symbol.asyncIterator]())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
