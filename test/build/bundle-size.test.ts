import { describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_BYTES, FUNCTION_ENTRIES } from '../../cdk/bundling.ts';
import { bundleSize } from '../../scripts/size.ts';

describe('Lambda bundles', () => {
  it.each(FUNCTION_ENTRIES)('keeps %s within the 400 KB budget (minified)', async (name) => {
    expect(await bundleSize(name)).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
  });
});
