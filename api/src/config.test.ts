import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const dataDir = () => mkdtempSync(path.join(tmpdir(), 'config-'));

describe('config', () => {
  it('defaults to embedded mode on port 4000 and generates a secret once', () => {
    const dir = dataDir();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config).toMatchObject({ port: 4000, mode: 'embedded', snapshotEvery: 100, env: 'development', embeddedFsync: true });
    expect(loadConfig({ DATA_DIR: dir, EMBEDDED_FSYNC: 'off' }).embeddedFsync).toBe(false);
    expect(config.embeddedSharedBuffersMb).toBe(32);
    expect(loadConfig({ DATA_DIR: dir, EMBEDDED_SHARED_BUFFERS_MB: '64' }).embeddedSharedBuffersMb).toBe(64);
    expect(config.embeddedVacuumIntervalMs).toBe(60_000);
    expect(loadConfig({ DATA_DIR: dir, EMBEDDED_VACUUM_INTERVAL_MS: '5000' }).embeddedVacuumIntervalMs).toBe(5_000);
    expect(config.authSecret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path.join(dir, 'auth-secret'), 'utf8').trim()).toBe(config.authSecret);
    expect(loadConfig({ DATA_DIR: dir }).authSecret).toBe(config.authSecret);
  });

  it('refuses private and loopback webhook URLs unless told otherwise', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).events).toMatchObject({ allowPrivateWebhookUrls: false, webhookMaxAttempts: 10, webhookLeaseMs: 60_000 });
    expect(loadConfig({ DATA_DIR: dataDir(), WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }).events.allowPrivateWebhookUrls).toBe(true);
  });

  it.each([
    [{ PORT: 'abc' }, /^Invalid setting PORT:/],
    [{ PORT: '70000' }, /^Invalid setting PORT:/],
    [{ SNAPSHOT_EVERY: '-1' }, /^Invalid setting SNAPSHOT_EVERY:/],
    [{ NODE_ENV: 'staging' }, /^Invalid setting NODE_ENV:/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid setting LOG_LEVEL:/],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid setting DATABASE_URL:/],
    [{ DATABASE_URL: 'postgres://x/db' }, /^Invalid setting AUTH_SECRET:/],
    [{ REDIS_URL: 'redis://x' }, /^Invalid setting REDIS_URL:/],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:7001' }, /^Invalid setting REDIS_CLUSTER_NODES:/],
    [{ DATABASE_URL: 'postgres://x/db', AUTH_SECRET: 'x'.repeat(40), REDIS_CLUSTER_NODES: 'redis://h:7001' }, /^Invalid setting REDIS_CLUSTER_NODES:/],
    [{ DATABASE_URL: 'postgres://x/db', AUTH_SECRET: 'x'.repeat(40), REDIS_CLUSTER_NODES: 'h:70001' }, /^Invalid setting REDIS_CLUSTER_NODES:/],
    [{ DATABASE_URL: 'postgres://x/db', AUTH_SECRET: 'x'.repeat(40), REDIS_CLUSTER_NODES: ' , ' }, /^Invalid setting REDIS_CLUSTER_NODES:/],
    [{ DATABASE_URL: 'postgres://x/db', AUTH_SECRET: 'x'.repeat(40), REDIS_CLUSTER_NODES: 'h:7001', REDIS_URL: 'redis://h' }, /^Invalid setting REDIS_CLUSTER_NODES:/],
    [{ AUTH_SECRET: 'short' }, /^Invalid setting AUTH_SECRET:/],
    [{ EMBEDDED_FSYNC: 'maybe' }, /^Invalid setting EMBEDDED_FSYNC:/],
    [{ EMBEDDED_SHARED_BUFFERS_MB: '0' }, /^Invalid setting EMBEDDED_SHARED_BUFFERS_MB:/],
    [{ EMBEDDED_SHARED_BUFFERS_MB: '2048' }, /^Invalid setting EMBEDDED_SHARED_BUFFERS_MB:/],
    [{ EMBEDDED_SHARED_BUFFERS_MB: '16MB' }, /^Invalid setting EMBEDDED_SHARED_BUFFERS_MB:/],
    [{ EMBEDDED_SHARED_BUFFERS_MB: '1.5' }, /^Invalid setting EMBEDDED_SHARED_BUFFERS_MB:/],
    [{ EMBEDDED_VACUUM_INTERVAL_MS: '10' }, /^Invalid setting EMBEDDED_VACUUM_INTERVAL_MS:/],
    [{ EMBEDDED_VACUUM_INTERVAL_MS: 'hourly' }, /^Invalid setting EMBEDDED_VACUUM_INTERVAL_MS:/],
    [{ LOG_RETENTION_DAYS: '0' }, /^Invalid setting LOG_RETENTION_DAYS:/],
    [{ LOG_RETENTION_DAYS: '1.5' }, /^Invalid setting LOG_RETENTION_DAYS:/],
    [{ LOG_RETENTION_DAYS: 'forever' }, /^Invalid setting LOG_RETENTION_DAYS:/],
    [{ LOG_RETENTION_DAYS: '30', SNAPSHOT_EVERY: '0' }, /^Invalid setting LOG_RETENTION_DAYS:/],
    [{ LOG_RETENTION_DAYS: '30', LOG_RETENTION_INTERVAL_MS: '10' }, /^Invalid setting LOG_RETENTION_INTERVAL_MS:/],
    [{ WEBHOOK_ALLOW_PRIVATE_URLS: 'yes please' }, /^Invalid setting WEBHOOK_ALLOW_PRIVATE_URLS:/],
    [{ WEBHOOK_TIMEOUT_MS: '5000', WEBHOOK_LEASE_MS: '5000' }, /^Invalid setting WEBHOOK_LEASE_MS:/],
    [{ WEBHOOK_MAX_ATTEMPTS: '0' }, /^Invalid setting WEBHOOK_MAX_ATTEMPTS:/],
  ])('rejects %o with a one-line message naming the setting', (env, message) => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), ...env })).toThrow(message);
    try {
      loadConfig({ DATA_DIR: dataDir(), ...env });
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('\n');
    }
  });

  it('keeps every op unless LOG_RETENTION_DAYS is set', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).logRetention).toBeNull();
    expect(loadConfig({ DATA_DIR: dataDir(), LOG_RETENTION_DAYS: '' }).logRetention).toBeNull();
    expect(loadConfig({ DATA_DIR: dataDir(), LOG_RETENTION_DAYS: '30' }).logRetention).toEqual({ days: 30, intervalMs: 3_600_000 });
    expect(loadConfig({ DATA_DIR: dataDir(), LOG_RETENTION_DAYS: '7', LOG_RETENTION_INTERVAL_MS: '60000' }).logRetention).toEqual({ days: 7, intervalMs: 60_000 });
  });

  it('is scaled when DATABASE_URL is set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://h/db', REDIS_URL: 'redis://h:6379', AUTH_SECRET: 'x'.repeat(40) });
    expect(config.mode).toBe('scaled');
  });

  it('reads REDIS_CLUSTER_NODES as seed nodes', () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://h/db', REDIS_CLUSTER_NODES: '10.0.0.1:7001, redis-b.internal:7002', AUTH_SECRET: 'x'.repeat(40) });
    expect(config.redisClusterNodes).toEqual([{ host: '10.0.0.1', port: 7001 }, { host: 'redis-b.internal', port: 7002 }]);
    expect(config.redisUrl).toBeUndefined();
  });
});
