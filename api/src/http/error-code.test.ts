import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { clientCode, logLevelFor } from './error-code.ts';

describe('error codes and log levels', () => {
  it('finds the code behind GraphQL wrappers, BAD_USER_INPUT for GraphQL own errors, INTERNAL_SERVER_ERROR for the rest', () => {
    const located = new GraphQLError('wrapped', { originalError: new GraphQLError('again', { originalError: new AppError('NOT_FOUND', 'gone') }) });
    expect(clientCode(located)).toBe('NOT_FOUND');
    expect(clientCode(new GraphQLError('Cannot query field "nope"'))).toBe('BAD_USER_INPUT');
    expect(clientCode(new GraphQLError('armor', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }))).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(clientCode(new GraphQLError('boom', { originalError: new TypeError('x is undefined') }))).toBe('INTERNAL_SERVER_ERROR');
  });

  it('keeps error for faults of ours, warn for abuse or an unavailable dependency, info for the rest', () => {
    expect(logLevelFor(['NOT_FOUND', 'BAD_USER_INPUT', 'FORBIDDEN', 'UNAUTHENTICATED'])).toBe('info');
    expect(logLevelFor(['RATE_LIMITED'])).toBe('warn');
    expect(logLevelFor(['UNAVAILABLE'])).toBe('warn');
    expect(logLevelFor(['NOT_FOUND', 'INTERNAL_SERVER_ERROR'])).toBe('error');
  });
});
