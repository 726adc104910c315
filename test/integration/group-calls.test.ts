import { describe, expect, it } from 'vitest';
import type { App } from '../../lib/apps/app.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { RawClient } from '../support/raw-client.ts';
import { createApp, urlIn, useTestStack } from '../support/local-stack.ts';

let rt: LocalRuntime;
useTestStack((r) => (rt = r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Logs in one device for each user of an app. */
async function users(app: App, ...names: string[]): Promise<Record<string, RawClient>> {
  const clients = await Promise.all(names.map((n) => RawClient.login(urlIn(rt, app, n), n)));
  return Object.fromEntries(names.map((n, i) => [n, clients[i]!]));
}
const closeAll = (clients: Record<string, RawClient>) => Promise.all(Object.values(clients).map((c) => c.close()));

describe('group calls', () => {
  it('handles a group invitation with an accept, a reject, a timeout and a busy invitee', async () => {
    const app = await createApp(rt);
    const u = await users(app, 'a', 'b', 'c', 'd', 'e', 'f');
    const busy = (await u.f!.request('calls', { userIdList: ['e'], mediaType: 'Audio' })).data.callId;
    await u.e!.event('onCallReceived');
    await u.e!.request('accept', { callId: busy });

    const placed = await u.a!.request('calls', { userIdList: ['b', 'c', 'd', 'e'], mediaType: 'Video', params: { timeout: 2 } });
    const { callId } = placed.data;
    expect((await u.a!.event('onUserLineBusy')).data.userId).toBe('e');
    const ring = await u.b!.event('onCallReceived', (f) => f.callId === callId);
    expect(ring.data).toMatchObject({ scene: 'MULTI_CALL', calleeIdList: ['b', 'c', 'd', 'e'], callerId: 'a' });
    await u.c!.event('onCallReceived');
    await u.b!.request('accept', { callId });
    await Promise.all([u.a!.event('onCallBegin'), u.b!.event('onCallBegin')]);
    await u.c!.request('reject', { callId });
    await Promise.all([u.a!, u.b!].map((m) => m.event('onUserReject', (f) => f.data.userId === 'c')));
    await Promise.all([u.a!, u.b!].map((m) => m.event('onUserNoResponse', (f) => f.data.userId === 'd')));
    expect((await u.d!.event('onCallNotConnected')).data).toMatchObject({ reason: 'NoResponse', userId: 'd' });

    await u.b!.request('hangup', { callId });
    expect((await u.a!.event('onCallEnd', (f) => f.callId === callId)).data).toMatchObject({ reason: 'Hangup', userId: 'b' });
    const record = await rt.deps.records.getRecord(app.sdkAppId, callId);
    expect(record).toMatchObject({ CallType: 'MultiCall', CallResult: 'NormalEnd', CalleeList_Account: ['a', 'b', 'c', 'd', 'e'] });
    const details = await rt.deps.records.getRecordDetails(app.sdkAppId, callId);
    expect(details?.peakConnected).toBe(2);
    expect(details?.members.map((m) => [m.userId, m.outcome])).toEqual([['a', 'left'], ['b', 'left'], ['c', 'rejected'], ['d', 'noResponse'], ['e', 'busy']]);
    expect(details?.members.find((m) => m.userId === 'b')?.platform).toBe('Web');
    await closeAll(u);
  });

  it('invites mid-call and lets others join, under both join policies', async () => {
    const app = await createApp(rt);
    const u = await users(app, 'a', 'b', 'c', 'd');
    const { callId } = (await u.a!.request('calls', { userIdList: ['b'], mediaType: 'Audio', params: { chatGroupId: 'team' } })).data;
    await u.b!.event('onCallReceived', (f) => f.data.scene === 'MULTI_CALL');
    await u.b!.request('accept', { callId });
    await u.a!.event('onCallBegin');

    expect((await u.b!.request('inviteUser', { callId, userIdList: ['c'] })).data).toEqual({ callId });
    await Promise.all([u.a!, u.b!].map((m) => m.event('onUserInviting', (f) => f.data.userId === 'c')));
    expect((await u.c!.event('onCallReceived')).data.calleeIdList).toEqual(['b', 'c']);
    await u.c!.request('accept', { callId });
    await Promise.all([u.a!, u.b!].map((m) => m.event('onUserJoin', (f) => f.data.userId === 'c')));

    const joined = await u.d!.request('join', { callId });
    expect(joined.data).toMatchObject({ callId, mediaType: 'Audio', roomIdType: 1 });
    expect((await u.d!.event('onCallBegin')).data.role).toBe('Called');
    await Promise.all([u.a!, u.b!, u.c!].map((m) => m.event('onUserJoin', (f) => f.data.userId === 'd')));

    const strict = await createApp(rt, { groupJoinPolicy: 'invited' });
    const s = await users(strict, 'a', 'b', 'x');
    const strictCall = (await s.a!.request('calls', { userIdList: ['b'], mediaType: 'Audio', params: { chatGroupId: 'g' } })).data.callId;
    const refused = await s.x!.request('join', { callId: strictCall });
    expect(refused.code).toBe(-1203);
    expect(refused.message).toMatch(/only invited users/);
    // An invitee may join on her own (as if she accepted).
    await s.b!.event('onCallReceived');
    expect((await s.b!.request('join', { callId: strictCall })).code).toBe(0);
    await s.a!.event('onCallBegin');
    await Promise.all([closeAll(u), closeAll(s)]);
  });

  it('ends when members have left until one is connected and nobody rings', async () => {
    const app = await createApp(rt);
    const u = await users(app, 'a', 'b', 'c', 'd');
    const { callId } = (await u.a!.request('calls', { userIdList: ['b', 'c', 'd'], mediaType: 'Audio' })).data;
    for (const n of ['b', 'c', 'd']) {
      await u[n]!.event('onCallReceived');
      await u[n]!.request('accept', { callId });
    }
    await u.b!.request('hangup', { callId });
    await Promise.all([u.a!, u.c!, u.d!].map((m) => m.event('onUserLeave', (f) => f.data.userId === 'b')));
    await u.a!.request('hangup', { callId });
    await Promise.all([u.c!, u.d!].map((m) => m.event('onUserLeave', (f) => f.data.userId === 'a')));
    expect(u.c!.events('onCallEnd')).toHaveLength(0);
    await u.c!.request('hangup', { callId });
    expect((await u.d!.event('onCallEnd')).data).toMatchObject({ reason: 'Hangup', userId: 'c' });
    expect((await rt.deps.records.getRecord(app.sdkAppId, callId))?.CallResult).toBe('NormalEnd');
    await closeAll(u);
  });

  it('cancels every invitation when the caller hangs up before anyone answered', async () => {
    const app = await createApp(rt);
    const u = await users(app, 'a', 'b', 'c');
    const { callId } = (await u.a!.request('calls', { userIdList: ['b', 'c'], mediaType: 'Audio' })).data;
    await Promise.all([u.b!.event('onCallReceived'), u.c!.event('onCallReceived')]);
    await u.a!.request('hangup', { callId });
    for (const n of ['b', 'c']) expect((await u[n]!.event('onCallNotConnected')).data).toMatchObject({ reason: 'Canceled', userId: 'a' });
    expect((await rt.deps.records.getRecord(app.sdkAppId, callId))?.CallResult).toBe('Cancel');
    await closeAll(u);
  });

  it('holds the 9-member limit at calls, inviteUser and join', async () => {
    const app = await createApp(rt);
    const names = Array.from({ length: 11 }, (_, i) => `m${i}`);
    const u = await users(app, ...names);
    const tooMany = await u.m0!.request('calls', { userIdList: names.slice(1, 10), mediaType: 'Audio' });
    expect(tooMany.code).toBe(-1202);
    expect(tooMany.message).toMatch(/at most 9 members/);
    const { callId } = (await u.m0!.request('calls', { userIdList: names.slice(1, 8), mediaType: 'Audio' })).data;
    const over = await u.m0!.request('inviteUser', { callId, userIdList: ['m8', 'm9'] });
    expect(over.code).toBe(-1202);
    expect(over.message).toMatch(/at most 9 members; it has 8, so at most 1 more/);
    expect((await u.m0!.request('inviteUser', { callId, userIdList: ['m8'] })).code).toBe(0);
    const full = await u.m9!.request('join', { callId });
    expect(full.code).toBe(-1202);
    expect(full.message).toMatch(/full/);
    // The refused requests took no line: m9 can be called right away.
    const m9Call = await u.m10!.request('calls', { userIdList: ['m9'], mediaType: 'Audio' });
    await u.m9!.event('onCallReceived', (f) => f.callId === m9Call.data.callId);
    await closeAll(u);
  });

  it('refuses join on a 1v1 call (-1205) and on an ended call (101004), and inviteUser by a non-member', async () => {
    const app = await createApp(rt);
    const u = await users(app, 'a', 'b', 'c');
    const single = (await u.a!.request('calls', { userIdList: ['b'], mediaType: 'Audio' })).data.callId;
    expect((await u.c!.request('join', { callId: single })).code).toBe(-1205);
    expect((await u.c!.request('inviteUser', { callId: single, userIdList: ['a'] })).code).toBe(-1205);
    await u.a!.request('hangup', { callId: single });
    expect((await u.c!.request('join', { callId: single })).code).toBe(101004);
    expect((await u.c!.request('join', { callId: 'no-such-call' })).code).toBe(101004);
    await closeAll(u);
  });

  it('switches the media type of a connected call for every member', async () => {
    const app = await createApp(rt);
    const u = await users(app, 'a', 'b', 'c');
    const { callId } = (await u.a!.request('calls', { userIdList: ['b', 'c'], mediaType: 'Video' })).data;
    await u.b!.event('onCallReceived');
    expect((await u.a!.request('switchCallMediaType', { callId, mediaType: 'Audio' })).code).toBe(-1203);
    await u.b!.request('accept', { callId });
    await u.a!.event('onCallBegin');
    expect((await u.b!.request('switchCallMediaType', { callId, mediaType: 'Video' })).code).toBe(-1202);
    expect((await u.b!.request('switchCallMediaType', { callId, mediaType: 'Audio' })).code).toBe(0);
    for (const n of ['a', 'b']) expect((await u[n]!.event('onCallMediaTypeChanged')).data).toMatchObject({ oldMediaType: 'Video', newMediaType: 'Audio' });
    await sleep(50);
    expect(u.c!.events('onCallMediaTypeChanged')).toHaveLength(0);
    await u.c!.request('accept', { callId });
    expect((await u.c!.event('onCallBegin')).data.mediaType).toBe('Audio');
    await closeAll(u);
  });
});
