/**
 * Builds the browser ESM bundle of the SDK (`client/index.ts`) with esbuild, in memory. Node only
 * (never imported by the SDK itself); the local runtime serves the result at `/client.js`.
 * A build takes a few tens of milliseconds: callers that serve it should build once and cache.
 */

import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The entry point of the bundle. */
export const CLIENT_ENTRY = fileURLToPath(new URL('./index.ts', import.meta.url));

/** Bundles the SDK for browsers (format esm, platform browser, target es2022, minified) and returns the code. */
export async function buildBrowserBundle(): Promise<string> {
  const result = await build({
    entryPoints: [CLIENT_ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no output for client/index.ts');
  return output.text;
}
