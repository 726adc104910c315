import { describe, expect, it } from 'vitest';
import { isValidUserId, USER_ID_RULE } from '../../lib/auth/user-id.ts';

describe('isValidUserId', () => {
  it('accepts letters, digits, underscore and hyphen', () => {
    // Prepare
    const ids = ['a', 'Z', '0', '_', '-', 'alice', 'Bob_42', 'user-1', '27149'];

    // Act
    const results = ids.map((id) => isValidUserId(id));

    // Assess
    expect(results).toEqual(ids.map(() => true));
  });

  it('accepts exactly 32 bytes and refuses 33', () => {
    // Prepare
    const max = 'a'.repeat(32);
    const tooLong = 'a'.repeat(33);

    // Act / Assess
    expect(isValidUserId(max)).toBe(true);
    expect(isValidUserId(tooLong)).toBe(false);
  });

  it('refuses the empty string', () => {
    expect(isValidUserId('')).toBe(false);
  });

  it('refuses characters outside a-z A-Z 0-9 _ -', () => {
    // Prepare
    const ids = ['a b', 'a.b', 'a@b', 'a/b', 'a+b', 'ä', 'é', '用户', 'a\n', '\nb', 'a\u0000', 'a\tb', '*', '=', ' '];

    // Act
    const accepted = ids.filter((id) => isValidUserId(id));

    // Assess
    expect(accepted).toEqual([]);
  });

  it('refuses non-string values', () => {
    // Prepare
    const values: unknown[] = [undefined, null, 42, 0, true, {}, ['alice'], Symbol('alice'), 10n];

    // Act
    const accepted = values.filter((v) => isValidUserId(v));

    // Assess
    expect(accepted).toEqual([]);
  });

  it('describes the rule in words for error messages', () => {
    expect(USER_ID_RULE).toMatch(/32 bytes/);
    expect(USER_ID_RULE).toMatch(/underscore/);
    expect(USER_ID_RULE).toMatch(/hyphen/);
  });
});
