/**
 * `npm run size`: bundles every Lambda function exactly as the stack does and prints its minified
 * size against the budget; exits 1 when one is over it.
 */
import { build } from 'esbuild';
import { BUNDLE_BUDGET_BYTES, ESBUILD_OPTIONS, FUNCTION_ENTRIES, REPO_ROOT, SDK_FROM_RUNTIME } from '../cdk/bundling.ts';

/** The minified size in bytes of one function's bundle. */
export async function bundleSize(name: string): Promise<number> {
  const { banner, ...options } = ESBUILD_OPTIONS;
  const out = await build({
    ...options,
    mainFields: [...options.mainFields],
    banner: { js: banner },
    entryPoints: [`${REPO_ROOT}functions/${name}.ts`],
    ...(SDK_FROM_RUNTIME.includes(name) ? { external: ['@aws-sdk/*', '@smithy/*'] } : {}),
    bundle: true,
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]?.contents.byteLength ?? 0;
}

async function main(): Promise<void> {
  let over = 0;
  for (const name of FUNCTION_ENTRIES) {
    const size = await bundleSize(name);
    const ok = size <= BUNDLE_BUDGET_BYTES;
    if (!ok) over += 1;
    console.log(`${ok ? 'ok  ' : 'OVER'} ${name.padEnd(14)} ${(size / 1024).toFixed(1).padStart(6)} KB  (budget ${BUNDLE_BUDGET_BYTES / 1024} KB)`);
  }
  if (over) process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
