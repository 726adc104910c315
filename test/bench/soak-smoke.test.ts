import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Keeps `npm run soak` working: 15 seconds of the full mix at a low rate, run as the command runs
// (its own process, which starts the server in another). It asserts the soak's invariants and a clean
// exit, never how fast anything was.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function runSoak(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/soak.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('soak (15 s smoke run)', () => {
  let dir: string;
  let run: { code: number | null; output: string };
  let figures: any;
  let report: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callsignal-soak-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every scenario and exits 0', { timeout: 150_000 }, async () => {
    run = await runSoak(['--seconds', '15', '--rate', '3', '--churn', '1', '--out', join(dir, 'SOAK.md'), '--json', join(dir, 'soak.json')]);
    expect(run.code, run.output).toBe(0);
    figures = JSON.parse(await readFile(join(dir, 'soak.json'), 'utf8'));
    report = await readFile(join(dir, 'SOAK.md'), 'utf8');
    expect(figures.ledger.errorCount, JSON.stringify(figures.ledger.errors)).toBe(0);
    expect(Object.values(figures.ledger.scenarios).reduce((n: number, s: any) => n + s.ok, 0)).toBeGreaterThan(20);
  });

  it('counts as many records and AfterEndCall callbacks as calls started, for the same calls', () => {
    const started = Object.keys(figures.ledger.started).sort();
    expect(started.length).toBeGreaterThan(10);
    expect(Object.keys(figures.records).sort()).toEqual(started);
    expect(Object.keys(figures.delivered.afterEnd).sort()).toEqual(started);
    expect(figures.verdict).toMatchObject({ missingRecords: [], missingAfterEnd: [], unexpectedRecords: [], unexpectedAfterEnd: [], pass: true });
  });

  it('leaves no call live, no line busy, and the server back to its start handles and timers', () => {
    expect(figures.audit.liveCalls).toEqual([]);
    expect(figures.audit.busyLines).toEqual([]);
    expect(figures.verdict.handles.end).toBeLessThanOrEqual(figures.verdict.handles.start + 5);
    expect(figures.verdict.timers.end).toBeLessThanOrEqual(figures.verdict.timers.start + 5);
    expect(figures.exit).toMatchObject({ clean: true, code: 0 });
  });

  it('writes a report with the parameters, the invariants, latency and memory', () => {
    for (const heading of ['## Reading', '## Parameters', '## Invariants', '## Traffic', '## Latency', '## Memory and resources of the server process']) expect(report).toContain(heading);
    expect(report).toContain('**PASS**');
    expect(report).toContain(process.version);
  });
});
