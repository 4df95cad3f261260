// The security settings: documented defaults, production turning GraphiQL
// and introspection off, and one-line errors for bad values.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_FORMATS, loadConfig } from './config.ts';

const dataDir = () => mkdtempSync(path.join(tmpdir(), 'config-security-'));

describe('security settings', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).security).toEqual({
      allowedOrigins: [],
      graphiql: true,
      introspection: true,
      trustProxy: false,
      maxQueryDepth: 10,
      maxQueryAliases: 15,
      maxQueryTokens: 2_000,
      maxQueryCost: 50_000,
      maxDeltaOps: 10_000,
      maxDeltaInsertBytes: 1_000_000,
      maxEmbedBytes: 65_536,
      maxDocumentBytes: 8 * 1024 * 1024,
      maxTitleBytes: 800,
      maxResponseBytes: 32 * 1024 * 1024,
      allowedFormats: DEFAULT_ALLOWED_FORMATS,
      maxSubscriptionsPerSocket: 50,
      anonymousSocketIdleMs: 30_000,
      rateLimits: {
        authPerIp: 100,
        authPerAccount: 30,
        authFailuresPerAccountIp: 5,
        submitPerUser: { perSecond: 100, burst: 2_000 },
        submitPerIp: { perSecond: 500, burst: 10_000 },
        submitPerToken: { perSecond: 20, burst: 600 },
        createPerUser: { perSecond: 2, burst: 100 },
        sharePerUser: { perSecond: 1, burst: 60 },
        socketsPerUser: 60,
        socketsPerIp: 300,
        presencePerUser: { perSecond: 30, burst: 600 },
        commentPerUser: { perSecond: 2, burst: 30 },
      },
    });
  });

  it('turns GraphiQL and introspection off in production unless asked for', () => {
    expect(loadConfig({ DATA_DIR: dataDir(), NODE_ENV: 'production' }).security).toMatchObject({ graphiql: false, introspection: false });
    expect(loadConfig({ DATA_DIR: dataDir(), NODE_ENV: 'production', INTROSPECTION: 'true' }).security).toMatchObject({ graphiql: false, introspection: true });
    expect(loadConfig({ DATA_DIR: dataDir(), GRAPHIQL: 'off' }).security.graphiql).toBe(false);
  });

  it('reads origin lists and turns rate limits off as a whole', () => {
    const config = loadConfig({ DATA_DIR: dataDir(), ALLOWED_ORIGINS: 'https://a.example.com, http://localhost:5173', RATE_LIMITS: 'off' });
    expect(config.security.allowedOrigins).toEqual(['https://a.example.com', 'http://localhost:5173']);
    expect(config.security.rateLimits).toBeNull();
  });

  it('reads the byte limits, their old character-counting names as bytes, and the format list', () => {
    const old = loadConfig({ DATA_DIR: dataDir(), MAX_DOCUMENT_LENGTH: '5000', MAX_DELTA_INSERT: '300' }).security;
    expect(old).toMatchObject({ maxDocumentBytes: 5_000, maxDeltaInsertBytes: 300 });
    const both = loadConfig({ DATA_DIR: dataDir(), MAX_DOCUMENT_LENGTH: '5000', MAX_DOCUMENT_BYTES: '7000', ALLOWED_FORMATS: 'bold, link' }).security;
    expect(both).toMatchObject({ maxDocumentBytes: 7_000, allowedFormats: ['bold', 'link'] });
    expect(() => loadConfig({ DATA_DIR: dataDir(), ALLOWED_FORMATS: 'bold,<script>' })).toThrow(/^Invalid setting ALLOWED_FORMATS:/);
  });

  it.each([
    [{ RATE_LIMIT_SUBMIT_PER_USER: '1200' }, /^Invalid setting RATE_LIMIT_SUBMIT_PER_USER: replaced by RATE_LIMIT_SUBMIT_PER_USER_RATE/],
    [{ RATE_LIMIT_SUBMIT_PER_IP: '6000' }, /^Invalid setting RATE_LIMIT_SUBMIT_PER_IP: replaced by RATE_LIMIT_SUBMIT_PER_IP_RATE/],
    [{ RATE_LIMIT_SUBMIT_PER_USER_BURST: '-1' }, /^Invalid setting RATE_LIMIT_SUBMIT_PER_USER_BURST:/],
    [{ ALLOWED_ORIGINS: 'https://a.example.com/app' }, /^Invalid setting ALLOWED_ORIGINS:/],
    [{ ALLOWED_ORIGINS: '*' }, /^Invalid setting ALLOWED_ORIGINS:/],
    [{ INTROSPECTION: 'maybe' }, /^Invalid setting INTROSPECTION:/],
    [{ MAX_QUERY_DEPTH: '0' }, /^Invalid setting MAX_QUERY_DEPTH:/],
    [{ MAX_DELTA_OPS: '10001' }, /^Invalid setting MAX_DELTA_OPS:/],
    [{ RATE_LIMIT_AUTH_PER_IP: '-1' }, /^Invalid setting RATE_LIMIT_AUTH_PER_IP:/],
  ])('rejects %o with a one-line message naming the setting', (env, message) => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), ...env })).toThrow(message);
  });
});
