import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { verifyUserSig } from '../../lib/auth/usersig.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { RawClient } from '../support/raw-client.ts';
import { useTestStack } from '../support/local-stack.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/callsignal.js', import.meta.url).pathname;
let rt: LocalRuntime;

/** Runs the `callsignal` command against the test stack's table. */
const cli = (...args: string[]) => run(process.execPath, [BIN, ...args, '--endpoint', rt.dynamoEndpoint]);

useTestStack((r) => (rt = r));

describe('the callsignal CLI', () => {
  it('creates an app, shows it, and prints UserSigs that log in to the local stack', async () => {
    const created = JSON.parse((await cli('app', 'create', '--sdkappid', '1400000777', '--name', 'cli app')).stdout);
    expect(created).toMatchObject({ sdkAppId: 1400000777, name: 'cli app', admins: ['administrator'], loginPolicy: 'multi', maxDevicesPerPlatform: 4 });
    expect(created.secretKeys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse((await cli('app', 'show', '--sdkappid', '1400000777')).stdout)).toEqual(created);

    const sig = (await cli('usersig', '--sdkappid', '1400000777', '--userid', 'cli-user', '--expire', '600')).stdout.trim();
    const now = Math.floor(Date.now() / 1000);
    expect(verifyUserSig(sig, { sdkAppId: 1400000777, userId: 'cli-user', keys: created.secretKeys, nowSec: now })).toMatchObject({ ok: true });
    const url = `${rt.wsUrl}/?sdkappid=1400000777&userid=cli-user&usersig=${encodeURIComponent(sig)}`;
    const client = await RawClient.login(url, 'cli-user');
    await client.close();
  });

  it('changes an app\'s login policy and device limit, refusing unknown values', async () => {
    await cli('app', 'create', '--sdkappid', '1400000888');
    const updated = JSON.parse((await cli('app', 'set', '--sdkappid', '1400000888', '--login-policy', 'single', '--max-devices', '2')).stdout);
    expect(updated).toMatchObject({ loginPolicy: 'single', maxDevicesPerPlatform: 2, groupJoinPolicy: 'open' });
    expect((await rt.deps.apps.getApp(1400000888))?.loginPolicy).toBe('single');
    const refused = await cli('app', 'set', '--sdkappid', '1400000888', '--login-policy', 'sometimes').catch((e: { stderr: string }) => e.stderr);
    expect(refused).toMatch(/--login-policy must be one of multi, single/);
  });

  it('adds and removes admins (administrator stays) and rotates keys without breaking issued UserSigs', async () => {
    await cli('app', 'create', '--sdkappid', '1400000999', '--secret', 'first-key');
    expect(JSON.parse((await cli('admin', 'add', '--sdkappid', '1400000999', '--userid', 'ops')).stdout).admins).toEqual(['administrator', 'ops']);
    expect(JSON.parse((await cli('admin', 'remove', '--sdkappid', '1400000999', '--userid', 'ops')).stdout).admins).toEqual(['administrator']);
    const refused = await cli('admin', 'remove', '--sdkappid', '1400000999', '--userid', 'administrator').catch((e: { stderr: string }) => e.stderr);
    expect(refused).toMatch(/administrator cannot lose its admin status/);
    const oldSig = (await cli('usersig', '--sdkappid', '1400000999', '--userid', 'u1')).stdout.trim();
    const rotated = JSON.parse((await cli('key', 'rotate', '--sdkappid', '1400000999', '--secret', 'second-key')).stdout);
    expect(rotated.secretKeys).toEqual(['second-key', 'first-key']);
    const now = Math.floor(Date.now() / 1000);
    expect(verifyUserSig(oldSig, { sdkAppId: 1400000999, userId: 'u1', keys: rotated.secretKeys, nowSec: now }).ok).toBe(true);
    expect(JSON.parse((await cli('key', 'retire', '--sdkappid', '1400000999')).stdout).secretKeys).toEqual(['second-key']);
  });

  it('explains mistakes in one line, without a stack trace', async () => {
    const fail = (args: string[]) => cli(...args).then(() => '', (err: { stderr: string; code: number }) => (expect(err.code).toBe(1), err.stderr));
    expect(await fail(['app', 'create', '--sdkappid', String(rt.demoApp.sdkAppId)])).toMatch(/already exists/);
    expect(await fail(['usersig', '--sdkappid', '42', '--userid', 'x'])).toMatch(/no app with SDKAppID 42/);
    expect(await fail(['usersig', '--sdkappid', String(rt.demoApp.sdkAppId), '--userid', 'bad id!'])).toMatch(/--userid/);
    expect(await fail(['app', 'show'])).toMatch(/--sdkappid must be a positive integer/);
    expect(await fail(['teleport'])).toMatch(/unknown command "teleport"/);
    const unreachable = await run(process.execPath, [BIN, 'app', 'show', '--sdkappid', '1', '--endpoint', 'http://127.0.0.1:9']).catch((e: { stderr: string }) => e.stderr);
    expect(unreachable).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
    expect(unreachable).not.toMatch(/\n\s+at /);
  });
});

describe('the callsignal CLI and dead-lettered callbacks', () => {
  it('lists and replays them through the REST API, and rotates the callback secret', async () => {
    const created = JSON.parse((await cli('app', 'create', '--sdkappid', '1400000555')).stdout);
    const dead = { eventId: 'call-x.1', sdkAppId: 1400000555, generation: 'v4', command: 'Call.CallbackAfterStartCall', url: 'http://127.0.0.1:9/none', query: {}, body: '{"a":1}', attempt: 6 };
    await rt.deps.deadLetters.add(JSON.stringify(dead));
    const listed = JSON.parse((await cli('dead-letters', 'list', '--sdkappid', '1400000555', '--url', rt.httpUrl)).stdout);
    expect(listed.DeadLetterList).toEqual([{ EventId: 'call-x.1', Generation: 'v4', Command: 'Call.CallbackAfterStartCall', Url: 'http://127.0.0.1:9/none', Attempts: 6, Body: { a: 1 } }]);
    expect(JSON.parse((await cli('dead-letters', 'replay', '--sdkappid', '1400000555', '--url', rt.httpUrl)).stdout)).toEqual({ Replayed: 1 });
    const rotated = JSON.parse((await cli('callback-secret', 'rotate', '--sdkappid', '1400000555')).stdout);
    expect(rotated.callbackSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.callbackSecret).not.toBe(created.callbackSecret);
  });
});
