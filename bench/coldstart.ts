import { execFile } from 'node:child_process';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { BUNDLE_BUDGET_BYTES, ESBUILD_OPTIONS, FUNCTION_ENTRIES, REPO_ROOT, SDK_FROM_RUNTIME } from '../cdk/bundling.ts';
import { median } from './stats.ts';

const run = promisify(execFile);

export interface ColdStart {
  name: string;
  bytes: number;
  /** Whether the bundle leaves the AWS SDK to the runtime (it is then read from node_modules here). */
  sdkFromRuntime: boolean;
  /** Time to import the bundle in a fresh Node process, its handler's init included (ms), per run. */
  importMs: number[];
  medianMs: number;
}

/** The baseline: a handler that does nothing, bundled the same way. */
const TRIVIAL = "export const handler = async () => ({ statusCode: 200, body: 'ok' });\n";

/**
 * The environment of a deployed function, so the handler builds its clients at import as it does at a
 * Lambda cold start (`AWS_LAMBDA_FUNCTION_NAME` set). Nothing is contacted: clients connect lazily.
 */
const LAMBDA_ENV = {
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  TABLE_NAME: 'callsignal',
  WS_MANAGEMENT_ENDPOINT: 'https://example.execute-api.us-east-1.amazonaws.com/dev',
  TIMERS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/timers',
  CALLBACKS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/callbacks',
  CALLBACKS_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/callbacks-dlq',
  LOG_LEVEL: 'ERROR',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

const IMPORT_TIMER = 'const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));';

/** Bundles each function exactly as the stack does (and the trivial handler), then imports each `runs` times in a fresh process. */
export async function coldStarts(functions: readonly string[], runs: number): Promise<{ baseline: ColdStart; functions: ColdStart[] }> {
  // Inside the repository, so a bundle that leaves the SDK to the runtime finds it in node_modules.
  const dir = join(REPO_ROOT, 'bench', '.out', `${process.pid}-${Date.now().toString(36)}`);
  await mkdir(dir, { recursive: true });
  try {
    const { banner, ...options } = ESBUILD_OPTIONS;
    const bundle = async (name: string, entry: { file: string } | { contents: string }) => {
      const external = SDK_FROM_RUNTIME.includes(name) ? ['@aws-sdk/*', '@smithy/*'] : [];
      const out = await build({
        ...options,
        mainFields: [...options.mainFields],
        banner: { js: banner },
        ...('file' in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.contents, loader: 'ts', resolveDir: REPO_ROOT } }),
        external,
        bundle: true,
        write: false,
        logLevel: 'silent',
      });
      const code = out.outputFiles[0]!.contents;
      const file = join(dir, `${name}.mjs`);
      await writeFile(file, code);
      return { name, file, bytes: code.byteLength, sdkFromRuntime: external.length > 0 };
    };
    const bundles = [await bundle('trivial', { contents: TRIVIAL })];
    for (const name of functions) bundles.push(await bundle(name, { file: join(REPO_ROOT, 'functions', `${name}.ts`) }));
    const times = new Map<string, number[]>(bundles.map((b) => [b.name, []]));
    // Interleaved (one run of each bundle, then the next run), so a slow moment of the machine is shared.
    for (let r = 0; r < runs; r++) {
      for (const b of bundles) {
        const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_TIMER, pathToFileURL(b.file).href], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...LAMBDA_ENV } });
        times.get(b.name)!.push(Number(stdout));
      }
    }
    const result = (b: (typeof bundles)[number]): ColdStart => ({ name: b.name, bytes: b.bytes, sdkFromRuntime: b.sdkFromRuntime, importMs: times.get(b.name)!, medianMs: median(times.get(b.name)!) });
    return { baseline: result(bundles[0]!), functions: bundles.slice(1).map(result) };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rmdir(join(dir, '..')).catch(() => undefined); // only if no other run uses it
  }
}

export { BUNDLE_BUDGET_BYTES, FUNCTION_ENTRIES };
