/**
 * The browser ESM bundle of the SDK: it builds, pulls in nothing from Node, and exports the API.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildBrowserBundle } from '../../client/build.ts';

describe('buildBrowserBundle', () => {
  it('builds one self-contained ESM file with no Node built-in or package imports', async () => {
    // Act
    const code = await buildBrowserBundle();
    // Assess
    expect(code.length).toBeGreaterThan(1_000);
    expect(code.length).toBeLessThan(100_000);
    // Everything is bundled: no static or dynamic import, no require, no Node built-in or global.
    expect(code).not.toMatch(/\bimport\b/);
    expect(code).not.toMatch(/\brequire\s*\(/);
    expect(code).not.toContain('node:');
    for (const name of builtinModules.filter((m) => !m.startsWith('_'))) expect(code).not.toContain(`"${name}"`);
    expect(code).not.toMatch(/\b(process|Buffer|__dirname)\b/);
  });

  it('exports CallEngine, TUICallEvent and the enums, usable as an ES module', async () => {
    // Prepare
    const code = await buildBrowserBundle();
    const dir = await mkdtemp(join(tmpdir(), 'client-bundle-'));
    const file = join(dir, 'client.mjs');
    await writeFile(file, code);
    try {
      // Act
      const mod = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as Record<string, unknown>;
      // Assess
      expect(typeof mod.CallEngine).toBe('function');
      expect(mod.TUICallEvent).toMatchObject({ NO_RESP: 'NO_RESP', GROUP_CALL_INVITEE_LIST_UPDATE: 'GROUP_CALL_INVITEE_LIST_UPDATE' });
      expect(mod.MediaType).toEqual({ Unknown: 0, Audio: 1, Video: 2 });
      expect(typeof mod.CallEngineError).toBe('function');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
