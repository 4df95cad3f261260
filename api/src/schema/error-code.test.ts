import { isEnumType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SERVER_ERROR_CODES } from '../../../protocol/error-codes.ts';
import { buildSchema } from './index.ts';

describe('ErrorCode enum', () => {
  it('lists exactly the protocol error codes, each described', () => {
    const type = buildSchema().getType('ErrorCode');
    if (!isEnumType(type)) throw new Error('ErrorCode is not an enum');
    expect(type.getValues().map((v) => v.name).sort()).toEqual([...SERVER_ERROR_CODES].sort());
    for (const value of type.getValues()) expect(value.description).toBeTruthy();
  });
});
