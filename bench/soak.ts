/**
 * `npm run soak` — runs the local runtime in its own process under a steady mix of calls, kicks and
 * connection churn, then checks that every started call left one record and one AfterEndCall
 * callback, that nothing stayed live or busy, and that handles and timers came back; writes the
 * report (memory over time, resources, per-minute latency and its drift). Exits 1 if a check failed.
 *   --minutes N | --seconds N   how long the load runs (fractions allowed; default 10 minutes)
 *   --rate R                    scenario starts per second, ≈ calls per second (default 6)
 *   --churn C                   connection churn operations per second (default 2)
 *   --seed S                    seed of the random choices (default 1)
 *   --out FILE                  the Markdown report (default bench/SOAK.md)
 *   --json FILE                 also write the figures as JSON
 *   --heap-snapshots DIR        diagnostics: heap snapshots of the server at the start and the end
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderSoakReport, soakJson } from './soak/report.ts';
import { runSoak, type SoakOptions } from './soak/run.ts';

const USAGE = 'Usage: npm run soak [-- --minutes N | --seconds N] [--rate R] [--churn C] [--seed S] [--out FILE] [--json FILE] [--heap-snapshots DIR]';

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
  return value;
}

function options(): { soak: SoakOptions; out: string; json?: string; command: string } | undefined {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      seconds: { type: 'string' },
      rate: { type: 'string' },
      churn: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
      'heap-snapshots': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  if (values.minutes !== undefined && values.seconds !== undefined) throw new Error('give --minutes or --seconds, not both');
  const durationSec = values.seconds !== undefined ? positive('seconds', values.seconds, 0) : positive('minutes', values.minutes, 10) * 60;
  const soak: SoakOptions = {
    durationSec,
    rate: positive('rate', values.rate, 6),
    churnPerSec: values.churn === '0' ? 0 : positive('churn', values.churn, 2),
    seed: Math.floor(positive('seed', values.seed, 1)),
    maxDrainSec: 120,
    ...(values['heap-snapshots'] ? { heapSnapshotDir: values['heap-snapshots'] } : {}),
  };
  const args = process.argv.slice(2).filter((a, i, all) => !['--out', '--json'].includes(a) && !['--out', '--json'].includes(all[i - 1] ?? ''));
  return {
    soak,
    out: values.out ?? fileURLToPath(new URL('./SOAK.md', import.meta.url)),
    ...(values.json ? { json: values.json } : {}),
    command: `npm run soak${args.length ? ` -- ${args.join(' ')}` : ''}`,
  };
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const opts = options();
  if (!opts) return console.log(USAGE);
  // A generator bug must not end a long run silently or crash it: say so, fail at the end.
  process.on('unhandledRejection', (err) => {
    console.error('soak: unhandled rejection in the load generator:', err);
    process.exitCode = 1;
  });
  const t0 = performance.now();
  const log = (line: string) => console.log(`[soak ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const results = await runSoak(opts.soak, log);
  await writeFile(opts.out, renderSoakReport(results, opts.command));
  if (opts.json) await writeFile(opts.json, JSON.stringify(soakJson(results), null, 2));
  const v = results.verdict;
  log(`calls started ${v.started}, records ${v.records}, AfterEndCall ${v.afterEnd}; wrote ${opts.out}`);
  if (!v.pass) {
    console.error(`soak FAILED:\n- ${v.problems.join('\n- ')}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
