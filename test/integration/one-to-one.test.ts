import { describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { RawClient } from '../support/raw-client.ts';
import { useTestStack, wsUrlFor } from '../support/local-stack.ts';

let rt: LocalRuntime;
let n = 0;
/** Fresh user names per test, so tests never share lines or devices. */
const users = (...names: string[]) => {
  n += 1;
  return names.map((x) => `${x}${n}`);
};
const login = (userId: string) => RawClient.login(wsUrlFor(rt, userId), userId);
const record = (callId: string) => rt.deps.records.getRecord(rt.demoApp.sdkAppId, callId);

useTestStack((r) => (rt = r));

const distinctSeqs = (frames: { seq?: number }[]) => [...new Set(frames.map((f) => f.seq))];

describe('a 1v1 call over real sockets', () => {
  it('connects on accept, ends on hangup with totalTime on both sides and a NormalEnd record', async () => {
    const [a, b] = users('alice', 'bob');
    const alice = await login(a!);
    const bob = await login(b!);

    const placed = await alice.request('calls', { userIdList: [b], mediaType: 'Video', params: { userData: 'hello' } });
    expect(placed.code).toBe(0);
    const { callId, roomId, roomIdType } = placed.data;
    expect(callId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(roomIdType).toBe(1);
    const ring = await bob.event('onCallReceived');
    expect(ring.callId).toBe(callId);
    expect(ring.data).toMatchObject({ callerId: a, calleeIdList: [b], mediaType: 'Video', scene: 'SINGLE_CALL', roomId, userData: 'hello', timeout: 30 });
    expect(ring.data.remainingMs).toBeGreaterThan(25_000);

    expect((await bob.request('accept', { callId })).code).toBe(0);
    const [beginA, beginB] = await Promise.all([alice.event('onCallBegin'), bob.event('onCallBegin')]);
    expect(beginA.data).toMatchObject({ callId, role: 'Caller', roomId, mediaType: 'Video' });
    expect(beginB.data).toMatchObject({ callId, role: 'Called', roomId });

    expect((await alice.request('hangup', { callId })).code).toBe(0);
    const [endA, endB] = await Promise.all([alice.event('onCallEnd'), bob.event('onCallEnd')]);
    expect(endA.data).toMatchObject({ reason: 'Hangup', userId: a, role: 'Caller' });
    expect(endB.data).toMatchObject({ reason: 'Hangup', userId: a, role: 'Called' });
    expect(typeof endA.data.totalTime).toBe('number');
    expect(endB.seq!).toBeGreaterThan(beginB.seq!);

    const rec = await record(callId);
    expect(rec).toMatchObject({ CallId: callId, Caller_Account: a, CalleeList_Account: [a, b], CallResult: 'NormalEnd', CallType: 'SingleCall', MediaType: 'Video', RoomIdType: 1 });
    expect(rec!.AcceptTime).toBeGreaterThan(0);
    expect(rec!.EndTime).toBeGreaterThanOrEqual(rec!.AcceptTime);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('ends as Reject when the callee rejects: caller gets onUserReject and onCallNotConnected', async () => {
    const [a, b] = users('alice', 'bob');
    const alice = await login(a!);
    const bob = await login(b!);
    const { callId } = (await alice.request('calls', { userIdList: [b], mediaType: 'Audio' })).data;
    await bob.event('onCallReceived');
    expect((await bob.request('reject', { callId })).code).toBe(0);
    expect((await alice.event('onUserReject')).data.userId).toBe(b);
    expect((await alice.event('onCallNotConnected')).data).toMatchObject({ reason: 'Reject', userId: a });
    expect((await bob.event('onCallNotConnected')).data).toMatchObject({ reason: 'Reject', userId: b });
    expect((await record(callId))?.CallResult).toBe('Reject');
    await Promise.all([alice.close(), bob.close()]);
  });

  it('ends as Cancel when the caller hangs up before an answer, and a late accept gets 8010', async () => {
    const [a, b] = users('alice', 'bob');
    const alice = await login(a!);
    const bob = await login(b!);
    const { callId } = (await alice.request('calls', { userIdList: [b], mediaType: 'Audio' })).data;
    await bob.event('onCallReceived');
    expect((await alice.request('hangup', { callId })).code).toBe(0);
    expect((await bob.event('onCallNotConnected')).data).toMatchObject({ reason: 'Canceled', userId: a });
    expect((await alice.event('onCallNotConnected')).data).toMatchObject({ reason: 'Canceled', userId: a });
    expect((await record(callId))?.CallResult).toBe('Cancel');
    const late = await bob.request('accept', { callId });
    expect(late.code).toBe(8010);
    expect(late.message).toMatch(/ended/);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('ends as NotAnswer when the ring timeout passes: caller gets onUserNoResponse', async () => {
    const [a, b] = users('alice', 'bob');
    const alice = await login(a!);
    const bob = await login(b!);
    const { callId } = (await alice.request('calls', { userIdList: [b], mediaType: 'Audio', params: { timeout: 1 } })).data;
    await bob.event('onCallReceived');
    expect((await alice.event('onUserNoResponse')).data.userId).toBe(b);
    expect((await alice.event('onCallNotConnected')).data).toMatchObject({ reason: 'NoResponse', userId: a });
    expect((await bob.event('onCallNotConnected')).data).toMatchObject({ reason: 'NoResponse', userId: b });
    expect((await record(callId))?.CallResult).toBe('NotAnswer');
    await Promise.all([alice.close(), bob.close()]);
  });

  it('answers CallBusy with onUserLineBusy when the callee is in another call', async () => {
    const [a, b, c] = users('alice', 'bob', 'carol');
    const [alice, bob, carol] = await Promise.all([login(a!), login(b!), login(c!)]);
    const first = (await alice.request('calls', { userIdList: [b], mediaType: 'Audio' })).data.callId;
    await bob.event('onCallReceived');
    await bob.request('accept', { callId: first });

    const busy = await carol.request('calls', { userIdList: [b], mediaType: 'Audio' });
    expect(busy.code).toBe(0);
    expect((await carol.event('onUserLineBusy')).data.userId).toBe(b);
    expect((await carol.event('onCallNotConnected')).data).toMatchObject({ reason: 'LineBusy', userId: c });
    expect((await record(busy.data.callId))?.CallResult).toBe('CallBusy');
    expect(bob.events('onCallReceived')).toHaveLength(1);
    // Carol's line was freed: she can call again at once.
    const again = await carol.request('calls', { userIdList: [a], mediaType: 'Audio' });
    expect(again.code).toBe(0);
    expect((await carol.event('onUserLineBusy', (f) => f.callId === again.data.callId)).data.userId).toBe(a);
    await Promise.all([alice.close(), bob.close(), carol.close()]);
  });

  it('merges glare: a calls b while b calls a, and both get onCallBegin in b\'s call', async () => {
    const [a, b] = users('alice', 'bob');
    const alice = await login(a!);
    const bob = await login(b!);
    const fromBob = await bob.request('calls', { userIdList: [a], mediaType: 'Video' });
    await alice.event('onCallReceived');
    const fromAlice = await alice.request('calls', { userIdList: [b], mediaType: 'Video' });
    expect(fromAlice.code).toBe(0);
    expect(fromAlice.data).toMatchObject({ callId: fromBob.data.callId, roomId: fromBob.data.roomId, merged: true });
    expect((await alice.event('onCallBegin')).data.role).toBe('Called');
    expect((await bob.event('onCallBegin')).data.role).toBe('Caller');
    expect(alice.events('onUserLineBusy')).toHaveLength(0);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('refuses unknown users (8021), calling yourself or nobody (-1202), and a second call while in one (-1203)', async () => {
    const [a, b] = users('alice', 'bob');
    const alice = await login(a!);
    const bob = await login(b!);
    const unknown = await alice.request('calls', { userIdList: ['never-logged-in'], mediaType: 'Audio' });
    expect(unknown.code).toBe(8021);
    expect(unknown.message).toMatch(/never-logged-in/);
    expect((await alice.request('calls', { userIdList: [a], mediaType: 'Audio' })).code).toBe(-1202);
    const nobody = await alice.request('calls', { userIdList: [], mediaType: 'Audio' });
    expect(nobody.code).toBe(-1202);
    expect(nobody.message).toMatch(/userIdList/);
    expect((await alice.request('calls', { userIdList: [b], mediaType: 'Audio', params: { timeout: 601 } })).message).toMatch(/between 1 and 600/);

    expect((await alice.request('calls', { userIdList: [b], mediaType: 'Audio' })).code).toBe(0);
    const second = await alice.request('calls', { userIdList: [b], mediaType: 'Audio' });
    expect(second.code).toBe(-1203);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('replays a repeated requestId: same answer, nothing done twice (events may come again with the same seq)', async () => {
    const [a, b] = users('alice', 'bob');
    const alice = await login(a!);
    const bob = await login(b!);
    const first = await alice.request('calls', { userIdList: [b], mediaType: 'Audio' }, 'same-id');
    const again = await alice.request('calls', { userIdList: [b], mediaType: 'Audio' }, 'same-id');
    expect(again.code).toBe(0);
    expect(again.data).toEqual(first.data);
    const { callId } = first.data;
    await bob.event('onCallReceived');
    const accepted = await bob.request('accept', { callId }, 'acc-1');
    const acceptedAgain = await bob.request('accept', { callId }, 'acc-1');
    expect([accepted.code, acceptedAgain.code]).toEqual([0, 0]);
    await alice.event('onCallBegin');
    // A different requestId is a new request, refused in this state.
    expect((await bob.request('accept', { callId }, 'acc-2')).code).toBe(8010);
    // A replay carries its transition's effects out again (its first handler may have died): the
    // events repeat with their seq, which clients de-duplicate on; nothing new happens.
    expect(distinctSeqs(bob.events('onCallReceived'))).toEqual([1]);
    expect(distinctSeqs(alice.events('onCallBegin'))).toHaveLength(1);
    const stored = await rt.deps.calls.getCall(rt.demoApp.sdkAppId, callId);
    expect(stored?.version).toBe(2);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('replays a calls retried from a reconnected socket of the same device (same deviceId)', async () => {
    const [a, b] = users('alice', 'bob');
    const bob = await login(b!);
    const first = await RawClient.open(wsUrlFor(rt, a!), a!);
    await first.request('login', { platform: 'iOS', deviceId: 'phone-1' });
    const placed = await first.request('calls', { userIdList: [b], mediaType: 'Audio' }, 'c-1');
    await first.close();
    const again = await RawClient.open(wsUrlFor(rt, a!), a!);
    await again.request('login', { platform: 'iOS', deviceId: 'phone-1' });
    const retried = await again.request('calls', { userIdList: [b], mediaType: 'Audio' }, 'c-1');
    expect(retried.code).toBe(0);
    expect(retried.data).toEqual(placed.data);
    expect(distinctSeqs(bob.events('onCallReceived'))).toEqual([1]);
    await Promise.all([again.close(), bob.close()]);
  });
});
