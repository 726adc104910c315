import { describe, expect, it } from 'vitest';
import { newApp } from '../../lib/apps/app.ts';
import { addAdmin, MAX_ADMINS, removeAdmin, retireOldKey, rotateKey } from '../../lib/apps/app-changes.ts';

const app = newApp({ sdkAppId: 1, name: 'a', secretKey: 'k1', callbackSecret: 'c1', now: 0 });

describe('app changes', () => {
  it('allows at most 10 admins and never removes administrator', () => {
    let a = app;
    for (let i = 1; i < MAX_ADMINS; i++) a = addAdmin(a, `admin${i}`);
    expect(a.admins).toHaveLength(MAX_ADMINS);
    expect(addAdmin(a, 'admin1')).toBe(a);
    expect(() => addAdmin(a, 'one-too-many')).toThrow(/at most 10 admins/);
    expect(() => removeAdmin(a, 'administrator')).toThrow(/cannot lose/);
    expect(() => removeAdmin(a, 'nobody')).toThrow(/not an admin/);
    expect(removeAdmin(a, 'admin3').admins).not.toContain('admin3');
  });

  it('keeps two keys while rotating: the new one signs, the previous one still verifies', () => {
    const rotated = rotateKey(rotateKey(app, 'k2'), 'k3');
    expect(rotated.secretKeys).toEqual(['k3', 'k2']);
    expect(retireOldKey(rotated).secretKeys).toEqual(['k3']);
  });
});
