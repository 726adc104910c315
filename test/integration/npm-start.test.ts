import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const children: ChildProcess[] = [];

/** Runs `npm start`'s program with the given environment; resolves with its ready line (or its exit). */
function start(env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, HTTP_PORT: '0', WS_PORT: '0', DYNAMO_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.includes('ready'));
      if (line) resolve(line);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited, output: () => ({ out, err }) };
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('npm start', () => {
  it('prints one ready line with the URLs, SDKAppID, secret and a UserSig command, serves /health, and stops on Ctrl-C', async () => {
    const run = start({ DEMO_SDKAPPID: '1400000042', DEMO_SECRET_KEY: 'demo-secret' });
    const line = await run.ready;
    expect(line).toMatch(/http http:\/\/localhost:\d+ {2}ws ws:\/\/localhost:\d+ {2}sdkappid 1400000042 {2}secret demo-secret {2}usersig: npx callsignal usersig --sdkappid 1400000042 --userid alice/);
    const httpUrl = /http (http:\/\/\S+)/.exec(line)![1]!;
    const health = await fetch(`${httpUrl}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  });

  it('says plainly that a port is taken, without a stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const run = start({ HTTP_PORT: String(port) });
    expect(await run.exited).toBe(1);
    const { err } = run.output();
    expect(err).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(err).not.toMatch(/\n\s+at /);
    blocker.close();
  });

  it('keeps the demo app (and its generated secret) across restarts with --data-dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callsignal-data-'));
    try {
      const first = start({}, ['--data-dir', dir]);
      const secret = /secret (\S+)/.exec(await first.ready)![1];
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(0);
      const second = start({}, ['--data-dir', dir]);
      expect(/secret (\S+)/.exec(await second.ready)![1]).toBe(secret);
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
