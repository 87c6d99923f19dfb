import { describe, expect, it } from 'vitest';
import { AppError, describeError, ERROR_KINDS, invalidInput, unavailable } from './errors';

describe('AppError', () => {
  it('takes its status from its kind and its code from the kind unless given', () => {
    expect(invalidInput('x')).toMatchObject({ kind: 'invalid_input', status: 400, code: 'INVALID_INPUT', exitCode: 2 });
    expect(unavailable('y', { code: 'DB_UNREACHABLE' })).toMatchObject({ status: 503, code: 'DB_UNREACHABLE', exitCode: 1 });
    for (const [kind, status] of Object.entries(ERROR_KINDS))
      expect(new AppError(kind as keyof typeof ERROR_KINDS, 'm').status).toBe(status);
  });

  it('keeps the cause for logs', () => {
    const cause = new Error('driver detail');
    expect(unavailable('db down', { cause }).cause).toBe(cause);
  });
});

describe('describeError', () => {
  it('describes every thrown value, including rejections that are not Errors', () => {
    expect(describeError(invalidInput('bad port'))).toBe('bad port');
    expect(describeError(new Error('plain'))).toBe('plain');
    expect(describeError('a string')).toBe('a string');
    expect(describeError(undefined)).toBe('unknown error (undefined was thrown)');
    expect(describeError(null)).toBe('unknown error (null was thrown)');
    expect(describeError({ code: 'E1' })).toBe('{"code":"E1"}');
    expect(describeError({})).toBe('[object Object]');
    expect(describeError(new Error(''))).toBe('Error');
  });
});
