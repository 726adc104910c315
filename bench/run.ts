/**
 * `npm run bench` — runs the benchmarks and writes `bench/REPORT.md`.
 *   --full       the long profile (M = 200, the whole fan-out grid, 100k records, 10 cold imports)
 *   --smoke      the seconds-long profile the test suite runs
 *   --out FILE   where to write the report (default bench/REPORT.md)
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { failures, runBench } from './harness.ts';
import { PROFILES } from './profiles.ts';
import { renderReport } from './report.ts';

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({ options: { full: { type: 'boolean' }, smoke: { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('Usage: npm run bench [-- --full | --smoke] [--out FILE]');
    return;
  }
  const profile = values.full ? PROFILES.full : values.smoke ? PROFILES.smoke : PROFILES.quick;
  const out = values.out ?? fileURLToPath(new URL('./REPORT.md', import.meta.url));
  const command = `npm run bench${values.full ? ' -- --full' : values.smoke ? ' -- --smoke' : ''}`;
  const started = performance.now();
  const results = await runBench(profile, { command, log: (line) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`) });
  await writeFile(out, renderReport(results));
  console.log(`wrote ${out} (${results.seconds.toFixed(0)} s)`);
  const failed = failures(results);
  if (failed.length) {
    console.error(`sections failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
