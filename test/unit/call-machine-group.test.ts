import { describe, expect, it } from 'vitest';
import { startCall } from '../../lib/calls/index.ts';
import type { Call, CallCommand, DeviceRef, InviteeInfo, Transition } from '../../lib/calls/index.ts';
import { applyFrozen as apply, callbacksOf, detailsOf, device, eventsTo, frozen, recordsOf, refusal, releasedLines, sendsOf, startCommand, T0 } from '../support/machine-model.ts';

// Example-based tests of group calls in the pure call machine (group.ts, answer.ts connectMember,
// record-details.ts): inviteUser, join, switchCallMediaType, the 9-person limit (client-api.md §6), and
// the record details. Exact events per device; every call the machine returns is deep-frozen first.

const ALICE = device('alice-1'); // the caller's device (Android)
const BOB = device('bob-1', 'iOS');
const CAROL = device('carol-1', 'Web');
const CAROL_PAD = device('carol-pad', 'iOS');
const DAVE = device('dave-1', 'Mac');
const DAVE_PC = device('dave-pc', 'Windows');
const ERIN = device('erin-1');
const FRANK = device('frank-1', 'Web');
const ROOM = { roomId: 123456, roomIdType: 1 };
const DEADLINE = T0 + 30_000;
const seconds = (ms: number) => Math.floor(ms / 1000);
const MEMBER_CHANGED = 'Call.CallbackAfterMemberChanged';

const by = (userId: string, d: DeviceRef, now: number) => ({ userId, device: d, now });
const invitee = (userId: string, ringTargets: DeviceRef[], busy = false): InviteeInfo => ({ userId, ringTargets, busy });
const invite = (userId: string, d: DeviceRef, now: number, invitees: InviteeInfo[], timeoutSec = 30): CallCommand => ({ type: 'invite', ...by(userId, d, now), invitees, timeoutSec });
const join = (userId: string, d: DeviceRef, now: number, invitedOnly = false): CallCommand => ({ type: 'join', ...by(userId, d, now), invitedOnly });
const hangup = (userId: string, d: DeviceRef, now: number): CallCommand => ({ type: 'hangup', ...by(userId, d, now) });
const accept = (userId: string, d: DeviceRef, now: number): CallCommand => ({ type: 'accept', ...by(userId, d, now) });
const member = (call: Call, userId: string) => call.members.find((m) => m.userId === userId);
const states = (call: Call) => call.members.map((m) => [m.userId, m.state]);
/** Who got which events, in order: [event, connection ids]. */
const fanOut = (t: Transition) => sendsOf(t.effects).map((e) => [e.event, e.to.map((d) => d.connectionId)]);

/** alice calls bob and carol in a group call (Video, 30 s); nobody answered yet. */
function aliceCallsBobAndCarol(carolRingsOn: DeviceRef[] = [CAROL]): Transition {
  return frozen(startCall(startCommand([invitee('bob', [BOB]), invitee('carol', carolRingsOn)])));
}

/** …and bob accepted 5 s later: alice and bob are in the call, carol still rings. */
function bobIn(carolRingsOn?: DeviceRef[]): Call {
  return apply(aliceCallsBobAndCarol(carolRingsOn).call, accept('bob', BOB, T0 + 5_000)).call;
}

/** Applies commands in order; returns every transition. */
function run(call: Call, ...cmds: CallCommand[]): Transition[] {
  const out: Transition[] = [];
  for (const cmd of cmds) out.push(apply(out.at(-1)?.call ?? call, cmd));
  return out;
}

/** alice calls n invitees u1..un (ringing, Video, 30 s). */
function aliceCallsMany(n: number): Call {
  const invitees = Array.from({ length: n }, (_, i) => invitee(`u${i + 1}`, [device(`u${i + 1}-1`)]));
  return frozen(startCall(startCommand(invitees, { callType: 'MultiCall' }))).call;
}

describe('call machine: inviteUser', () => {
  it('rings a user invited mid-call with her own deadline: onUserInviting to the members in the call, onCallReceived with the whole callee list to each of her devices', () => {
    // Prepare
    const call = bobIn();
    const at = T0 + 12_000;

    // Act
    const invited = apply(call, invite('bob', BOB, at, [invitee('dave', [DAVE, DAVE_PC])], 60));

    // Assess
    const inviting = [{ event: 'onUserInviting', data: { userId: 'dave' } }];
    expect(eventsTo(invited.effects, ALICE.connectionId)).toEqual(inviting);
    expect(eventsTo(invited.effects, BOB.connectionId)).toEqual(inviting);
    expect(eventsTo(invited.effects, CAROL.connectionId)).toEqual([]); // still ringing: not in the call
    const received = {
      event: 'onCallReceived',
      data: { callerId: 'alice', calleeIdList: ['bob', 'carol', 'dave'], mediaType: 'Video', scene: 'MULTI_CALL', ...ROOM, userData: '', chatGroupId: '', timeout: 60, ringDeadline: at + 60_000, remainingMs: 60_000 },
    };
    expect(eventsTo(invited.effects, DAVE.connectionId)).toEqual([received]);
    expect(eventsTo(invited.effects, DAVE_PC.connectionId)).toEqual([received]);
    expect(fanOut(invited)).toEqual([['onUserInviting', ['alice-1', 'bob-1']], ['onCallReceived', ['dave-1', 'dave-pc']]]);
    expect(callbacksOf(invited.effects)).toEqual([{ command: MEMBER_CHANGED, seq: 3, changes: [{ userId: 'dave', action: 'Invite' }] }]);
    expect(invited.effects.filter((e) => e.kind === 'timer')).toEqual([{ kind: 'timer', at: at + 60_000 }]);
    expect(member(invited.call, 'dave')).toMatchObject({ role: 'Called', state: 'ringing', invitedAt: at, ringDeadline: at + 60_000, timeoutSec: 60, begun: false, segments: [] });

    // Her deadline is her own: carol times out at the call's deadline, dave rings on.
    const carolTimesOut = apply(invited.call, { type: 'timeout', now: DEADLINE });
    expect(states(carolTimesOut.call)).toEqual([['alice', 'joined'], ['bob', 'joined'], ['carol', 'noResponse'], ['dave', 'ringing']]);
    expect(eventsTo(carolTimesOut.effects, DAVE.connectionId)).toEqual([]);
    const daveTimesOut = apply(carolTimesOut.call, { type: 'timeout', now: at + 60_000 });
    expect(member(daveTimesOut.call, 'dave')?.state).toBe('noResponse');
    expect(eventsTo(daveTimesOut.effects, ALICE.connectionId)).toEqual([{ event: 'onUserNoResponse', data: { userId: 'dave' } }]);
    expect(daveTimesOut.call.status).toBe('connected');
  });

  it('marks a busy invitee LineBusy at once: onUserLineBusy to the members in the call, nothing to her, no line released; the free one rings', () => {
    // Prepare
    const call = bobIn();
    const at = T0 + 9_000;

    // Act
    const invited = apply(call, invite('alice', ALICE, at, [invitee('erin', [ERIN], true), invitee('frank', [FRANK])]));
    const onlyBusy = apply(invited.call, invite('alice', ALICE, at + 1_000, [invitee('dave', [DAVE], true)]));

    // Assess
    expect(eventsTo(invited.effects, ALICE.connectionId)).toEqual([
      { event: 'onUserLineBusy', data: { userId: 'erin' } },
      { event: 'onUserInviting', data: { userId: 'frank' } },
    ]);
    expect(eventsTo(invited.effects, ERIN.connectionId)).toEqual([]);
    expect(eventsTo(invited.effects, FRANK.connectionId).map((e) => [e.event, e.data.calleeIdList])).toEqual([['onCallReceived', ['bob', 'carol', 'erin', 'frank']]]);
    expect(member(invited.call, 'erin')).toMatchObject({ state: 'busy', endReason: 'LineBusy', ringing: [] });
    expect(releasedLines(invited.effects)).toEqual([]);
    expect(callbacksOf(invited.effects)).toEqual([{ command: MEMBER_CHANGED, seq: 3, changes: [{ userId: 'erin', action: 'Invite' }, { userId: 'frank', action: 'Invite' }] }]);
    expect(invited.effects.filter((e) => e.kind === 'timer')).toEqual([{ kind: 'timer', at: at + 30_000 }]);
    // Nobody new rings: no timer.
    expect(onlyBusy.effects.filter((e) => e.kind === 'timer')).toEqual([]);
    expect(fanOut(onlyBusy)).toEqual([['onUserLineBusy', ['alice-1', 'bob-1']]]);
  });

  it('invites again a member who rejected: the same member rings again with a new deadline (no duplicate), and her accept is onUserJoin for the others', () => {
    // Prepare
    const [rejected] = run(bobIn([CAROL, CAROL_PAD]), { type: 'reject', ...by('carol', CAROL, T0 + 8_000) });
    const at = T0 + 20_000;

    // Act
    const [again, accepted] = run((rejected as Transition).call, invite('alice', ALICE, at, [invitee('carol', [CAROL, CAROL_PAD])], 45), accept('carol', CAROL_PAD, at + 5_000)) as [Transition, Transition];

    // Assess
    expect(states(again.call)).toEqual([['alice', 'joined'], ['bob', 'joined'], ['carol', 'ringing']]);
    expect(member(again.call, 'carol')).toMatchObject({ state: 'ringing', invitedAt: at, ringDeadline: at + 45_000, timeoutSec: 45, begun: false });
    expect(member(again.call, 'carol')?.endReason).toBeUndefined();
    expect(eventsTo(again.effects, CAROL.connectionId).map((e) => [e.event, e.data.calleeIdList, e.data.remainingMs])).toEqual([['onCallReceived', ['bob', 'carol'], 45_000]]);
    expect(eventsTo(accepted.effects, CAROL.connectionId)).toEqual([{ event: 'onCallNotConnected', data: { mediaType: 'Video', reason: 'OtherDeviceAccepted', userId: 'carol' } }]);
    expect(eventsTo(accepted.effects, CAROL_PAD.connectionId)).toEqual([{ event: 'onCallBegin', data: { mediaType: 'Video', ...ROOM, role: 'Called' } }]);
    expect(eventsTo(accepted.effects, ALICE.connectionId)).toEqual([{ event: 'onUserJoin', data: { userId: 'carol' } }]);
    expect(eventsTo(accepted.effects, BOB.connectionId)).toEqual([{ event: 'onUserJoin', data: { userId: 'carol' } }]);
    const [, last] = run(accepted.call, hangup('alice', ALICE, at + 9_000), hangup('bob', BOB, at + 9_000)); // carol alone: the call ends
    expect(recordsOf(last?.effects ?? [])[0]?.CalleeList_Account).toEqual(['alice', 'bob', 'carol']);
  });

  it('refuses an invite in a 1v1 call (-1205), by someone not in the call (-1203), of someone ringing or in the call (-1202), on an ended call (101004)', () => {
    // Prepare
    const oneToOne = frozen(startCall(startCommand([invitee('bob', [BOB])]))).call;
    const call = bobIn();
    const ended = run(call, hangup('alice', ALICE, T0 + 7_000), hangup('bob', BOB, T0 + 7_000))[1]?.call as Call;
    const dave = [invitee('dave', [DAVE])];
    const at = T0 + 6_000;

    // Act
    const codes = [
      refusal(oneToOne, invite('alice', ALICE, at, dave)),
      refusal(call, invite('carol', CAROL, at, dave)), // ringing, not in the call
      refusal(call, invite('frank', FRANK, at, dave)), // not a member
      refusal(call, invite('alice', ALICE, at, [invitee('carol', [CAROL])])),
      refusal(call, invite('alice', ALICE, at, [invitee('dave', [DAVE]), invitee('bob', [BOB])])),
      refusal(ended, invite('alice', ALICE, T0 + 8_000, dave)),
    ].map((e) => e.code);

    // Assess
    expect(codes).toEqual([-1205, -1203, -1203, -1202, -1202, 101004]);
  });

  it('holds the 9-person limit at invite, counting the caller, everyone ringing and every invitee (busy ones too), with the exact message', () => {
    // Prepare: alice and 6 ringing invitees are 7.
    const call = aliceCallsMany(6);
    const at = T0 + 3_000;

    // Act
    const tooMany = refusal(call, invite('alice', ALICE, at, [invitee('dave', [DAVE]), invitee('erin', [ERIN], true), invitee('frank', [FRANK])]));
    const full = apply(call, invite('alice', ALICE, at, [invitee('dave', [DAVE]), invitee('erin', [ERIN])]));
    const oneMore = refusal(full.call, invite('alice', ALICE, at + 1, [invitee('frank', [FRANK])]));
    const afterReject = apply(full.call, { type: 'reject', ...by('u1', device('u1-1'), at + 2) });
    const fits = apply(afterReject.call, invite('alice', ALICE, at + 3, [invitee('frank', [FRANK])]));

    // Assess
    expect([tooMany.code, tooMany.message]).toEqual([-1202, 'inviteUser: a call has at most 9 members; it has 7, so at most 2 more can be invited']);
    expect([oneMore.code, oneMore.message]).toEqual([-1202, 'inviteUser: a call has at most 9 members; it has 9, so at most 0 more can be invited']);
    expect(full.call.members.filter((m) => m.state === 'ringing' || m.state === 'joined')).toHaveLength(9);
    // Someone who rejected no longer counts.
    expect(member(fits.call, 'frank')?.state).toBe('ringing');
  });

  // A bug (group.ts `invite`): a user listed twice in one invite rings twice on each device and is announced twice.
  // "Already ringing" is checked only against the call before the invite, and nothing removes duplicates (the use
  // case `inviteUsers` does not either); the limit counts her twice too. Either answer below would be right.
  it('invites a user listed twice only once (or refuses the request with -1202)', () => {
    // Prepare
    const call = bobIn();

    // Act
    let t: Transition | undefined;
    let code: number | undefined;
    try {
      t = apply(call, invite('alice', ALICE, T0 + 9_000, [invitee('dave', [DAVE]), invitee('dave', [DAVE])]));
    } catch (err) {
      code = (err as { code?: number }).code;
    }

    // Assess
    if (t === undefined) return void expect(code).toBe(-1202);
    expect(eventsTo(t.effects, DAVE.connectionId).map((e) => e.event)).toEqual(['onCallReceived']);
    expect(eventsTo(t.effects, ALICE.connectionId)).toEqual([{ event: 'onUserInviting', data: { userId: 'dave' } }]);
    expect(callbacksOf(t.effects)[0]?.changes).toEqual([{ userId: 'dave', action: 'Invite' }]);
  });
});

describe('call machine: join', () => {
  it('lets anyone join an open group call: she begins, the members in the call hear onUserJoin, those ringing nothing; MemberChanged Join', () => {
    // Prepare
    const call = bobIn();
    const at = T0 + 11_000;

    // Act
    const joined = apply(call, join('frank', FRANK, at));

    // Assess
    expect(eventsTo(joined.effects, FRANK.connectionId)).toEqual([{ event: 'onCallBegin', data: { mediaType: 'Video', ...ROOM, role: 'Called' } }]);
    expect(eventsTo(joined.effects, ALICE.connectionId)).toEqual([{ event: 'onUserJoin', data: { userId: 'frank' } }]);
    expect(eventsTo(joined.effects, BOB.connectionId)).toEqual([{ event: 'onUserJoin', data: { userId: 'frank' } }]);
    expect(eventsTo(joined.effects, CAROL.connectionId)).toEqual([]);
    expect(callbacksOf(joined.effects)).toEqual([{ command: MEMBER_CHANGED, seq: 3, changes: [{ userId: 'frank', action: 'Join' }] }]);
    expect(member(joined.call, 'frank')).toMatchObject({ role: 'Called', state: 'joined', device: FRANK, begun: true, segments: [{ from: at, platform: 'Web' }] });
    expect(states(joined.call)).toEqual([['alice', 'joined'], ['bob', 'joined'], ['carol', 'ringing'], ['frank', 'joined']]);
  });

  it('refuses a user who was never invited when the app lets only invited users join (-1203), but lets a former member back', () => {
    // Prepare
    const [rejected] = run(bobIn(), { type: 'reject', ...by('carol', CAROL, T0 + 6_000) });
    const call = (rejected as Transition).call;

    // Act
    const refused = refusal(call, join('frank', FRANK, T0 + 7_000, true));
    const back = apply(call, join('carol', CAROL_PAD, T0 + 7_000, true));

    // Assess
    expect([refused.code, refused.message]).toEqual([-1203, 'join: this app lets only invited users join a call']);
    expect(member(back.call, 'carol')).toMatchObject({ state: 'joined', device: CAROL_PAD });
    expect(fanOut(back)).toEqual([['onUserJoin', ['alice-1']], ['onUserJoin', ['bob-1']], ['onCallBegin', ['carol-pad']]]);
  });

  it('lets a ringing member join as if she accepted: her other ringing devices hear OtherDeviceAccepted (invited-only apps too)', () => {
    // Prepare
    const call = bobIn([CAROL, CAROL_PAD]);
    const at = T0 + 10_000;

    // Act
    const joined = apply(call, join('carol', CAROL_PAD, at, true));

    // Assess
    expect(eventsTo(joined.effects, CAROL.connectionId)).toEqual([{ event: 'onCallNotConnected', data: { mediaType: 'Video', reason: 'OtherDeviceAccepted', userId: 'carol' } }]);
    expect(eventsTo(joined.effects, CAROL_PAD.connectionId)).toEqual([{ event: 'onCallBegin', data: { mediaType: 'Video', ...ROOM, role: 'Called' } }]);
    expect(fanOut(joined)).toEqual([['onCallNotConnected', ['carol-1']], ['onUserJoin', ['alice-1']], ['onUserJoin', ['bob-1']], ['onCallBegin', ['carol-pad']]]);
    expect(callbacksOf(joined.effects)).toEqual([{ command: MEMBER_CHANGED, seq: 3, changes: [{ userId: 'carol', action: 'Join' }] }]);
    expect(member(joined.call, 'carol')).toMatchObject({ state: 'joined', device: CAROL_PAD, ringing: [] });
  });

  it('refuses a joiner when 9 are in the call or ringing (-1202, exact message), but a ringing member can still join', () => {
    // Prepare: alice and 8 ringing invitees.
    const call = aliceCallsMany(8);
    const at = T0 + 4_000;

    // Act
    const full = refusal(call, join('frank', FRANK, at));
    const ringingJoins = apply(call, join('u8', device('u8-1'), at));
    const afterReject = apply(ringingJoins.call, { type: 'reject', ...by('u1', device('u1-1'), at + 1) });
    const fits = apply(afterReject.call, join('frank', FRANK, at + 2));

    // Assess
    expect([full.code, full.message]).toEqual([-1202, 'join: the call is full (at most 9 members)']);
    expect(member(ringingJoins.call, 'u8')?.state).toBe('joined');
    expect(member(fits.call, 'frank')?.state).toBe('joined');
  });

  it('connects the call when someone joins while the caller waits alone: the caller begins, the call is connected, its result NormalEnd', () => {
    // Prepare
    const { call } = aliceCallsBobAndCarol();
    const at = T0 + 7_000;

    // Act
    const joined = apply(call, join('frank', FRANK, at));
    const [, timedOut, end] = run(joined.call, { type: 'timeout', now: DEADLINE }, { type: 'timeout', now: DEADLINE }, hangup('frank', FRANK, T0 + 40_000));

    // Assess
    expect(eventsTo(joined.effects, ALICE.connectionId)).toEqual([{ event: 'onCallBegin', data: { mediaType: 'Video', ...ROOM, role: 'Caller' } }]);
    expect(eventsTo(joined.effects, FRANK.connectionId)).toEqual([{ event: 'onCallBegin', data: { mediaType: 'Video', ...ROOM, role: 'Called' } }]);
    expect(eventsTo(joined.effects, BOB.connectionId)).toEqual([]);
    expect([joined.call.status, joined.call.acceptedAt]).toEqual(['connected', at]);
    expect(timedOut?.call.status).toBe('connected'); // bob and carol did not answer; alice and frank talk on
    expect(eventsTo(end?.effects ?? [], ALICE.connectionId)).toEqual([{ event: 'onCallEnd', data: { mediaType: 'Video', reason: 'Hangup', userId: 'frank', totalTime: 33, role: 'Caller' } }]);
    expect(recordsOf(end?.effects ?? [])).toEqual([
      expect.objectContaining({ CallResult: 'NormalEnd', AcceptTime: seconds(at), CalleeList_Account: ['alice', 'bob', 'carol', 'frank'], CallType: 'MultiCall' }),
    ]);
  });

  it('refuses join in a 1v1 call (-1205), by someone already in the call (-1203), on an ended call (101004)', () => {
    // Prepare
    const oneToOne = frozen(startCall(startCommand([invitee('bob', [BOB])]))).call;
    const call = bobIn();
    const ended = run(call, hangup('alice', ALICE, T0 + 7_000), hangup('bob', BOB, T0 + 7_000))[1]?.call as Call;

    // Act
    const refused = [refusal(oneToOne, join('frank', FRANK, T0 + 1)), refusal(call, join('bob', device('bob-2'), T0 + 6_000)), refusal(ended, join('frank', FRANK, T0 + 8_000))];

    // Assess
    expect(refused.map((e) => e.code)).toEqual([-1205, -1203, 101004]);
    expect(refused[1]?.message).toBe('join: you are already in this call');
  });
});

describe('call machine: switchCallMediaType', () => {
  it('switches the media type for everyone in the call (onCallMediaTypeChanged), and later events and the record carry the new type', () => {
    // Prepare
    const call = bobIn();
    const at = T0 + 8_000;

    // Act
    const switched = apply(call, { type: 'switchMedia', ...by('bob', BOB, at), mediaType: 'Audio' });
    const [carolIn, daveInvited] = run(switched.call, accept('carol', CAROL, at + 1_000), invite('alice', ALICE, at + 2_000, [invitee('dave', [DAVE])]));
    const ends = run((daveInvited as Transition).call, { type: 'reject', ...by('dave', DAVE, at + 3_000) }, hangup('bob', BOB, at + 4_000), hangup('carol', CAROL, at + 4_000));

    // Assess
    expect(fanOut(switched)).toEqual([['onCallMediaTypeChanged', ['alice-1', 'bob-1']]]);
    expect(eventsTo(switched.effects, ALICE.connectionId)).toEqual([{ event: 'onCallMediaTypeChanged', data: { oldMediaType: 'Video', newMediaType: 'Audio' } }]);
    expect(eventsTo(switched.effects, CAROL.connectionId)).toEqual([]);
    expect(switched.call.mediaType).toBe('Audio');
    expect(callbacksOf(switched.effects)).toEqual([]);
    expect(eventsTo(carolIn?.effects ?? [], CAROL.connectionId)).toEqual([{ event: 'onCallBegin', data: { mediaType: 'Audio', ...ROOM, role: 'Called' } }]);
    expect(eventsTo(daveInvited?.effects ?? [], DAVE.connectionId)[0]?.data.mediaType).toBe('Audio');
    const last = ends.at(-1) as Transition;
    expect(eventsTo(last.effects, ALICE.connectionId)).toEqual([{ event: 'onCallEnd', data: { mediaType: 'Audio', reason: 'Hangup', userId: 'carol', totalTime: 7, role: 'Caller' } }]);
    expect(recordsOf(last.effects)[0]?.MediaType).toBe('Audio');
  });

  it('switches a connected 1v1 call too', () => {
    // Prepare
    const connected = apply(frozen(startCall(startCommand([invitee('bob', [BOB])]))).call, accept('bob', BOB, T0 + 1_000)).call;

    // Act
    const switched = apply(connected, { type: 'switchMedia', ...by('alice', ALICE, T0 + 2_000), mediaType: 'Audio' });

    // Assess
    expect(fanOut(switched)).toEqual([['onCallMediaTypeChanged', ['alice-1', 'bob-1']]]);
  });

  it('refuses the same media type (-1202), before anyone answered or by someone not in the call (-1203), on an ended call (101004)', () => {
    // Prepare
    const { call: calling } = aliceCallsBobAndCarol();
    const call = bobIn();
    const ended = run(call, hangup('alice', ALICE, T0 + 7_000), hangup('bob', BOB, T0 + 7_000))[1]?.call as Call;
    const sw = (userId: string, d: DeviceRef, mediaType: 'Audio' | 'Video'): CallCommand => ({ type: 'switchMedia', ...by(userId, d, T0 + 6_000), mediaType });

    // Act
    const same = refusal(call, sw('alice', ALICE, 'Video'));
    const codes = [refusal(calling, sw('alice', ALICE, 'Audio')), refusal(call, sw('carol', CAROL, 'Audio')), refusal(call, sw('frank', FRANK, 'Audio')), refusal(ended, { ...sw('alice', ALICE, 'Audio'), now: T0 + 8_000 })].map((e) => e.code);

    // Assess
    expect([same.code, same.message]).toEqual([-1202, 'switchCallMediaType: the call is already Video']);
    expect(codes).toEqual([-1203, -1203, -1203, 101004]);
  });
});

describe('call machine: record details (who was in the call when)', () => {
  it('computes peak, connected time and each member’s time with others from a scripted timeline, a same-millisecond hand-over and a member back after a re-invite', () => {
    // Prepare: alice (Android) calls bob (iOS), carol (Web) and dave (Mac); times in ms after T0.
    const start = frozen(startCall(startCommand([invitee('bob', [BOB]), invitee('carol', [CAROL]), invitee('dave', [DAVE])], { timeoutSec: 600 }))).call;
    const at = (ms: number) => T0 + ms;

    // Act
    const steps = run(
      start,
      accept('bob', BOB, at(10_000)), // alice, bob: 2
      accept('dave', DAVE, at(20_000)), // alice, bob, dave: 3
      accept('carol', CAROL, at(30_000)), // hand-over at the same millisecond: carol comes in just before bob leaves…
      hangup('bob', BOB, at(30_000)), // …which is never 4 at once: alice, dave, carol: 3
      hangup('dave', DAVE, at(45_000)), // alice, carol: 2
      invite('alice', ALICE, at(50_000), [invitee('dave', [DAVE_PC])]),
      accept('dave', DAVE_PC, at(62_000)), // dave is back, on his PC: 3
      hangup('alice', ALICE, at(80_000)), // carol, dave: 2
      hangup('carol', CAROL, at(95_300)), // dave alone, nobody ringing: the call ends
    );

    // Assess
    const end = steps.at(-1) as Transition;
    expect(end.call.status).toBe('ended');
    expect(member(end.call, 'dave')?.segments).toEqual([
      { from: at(20_000), to: at(45_000), platform: 'Mac' },
      { from: at(62_000), to: at(95_300), platform: 'Windows' },
    ]);
    expect(detailsOf(end.effects)).toEqual([
      {
        members: [
          { userId: 'alice', role: 'Caller', platform: 'Android', joinedAt: seconds(at(0)), leftAt: seconds(at(80_000)), durationSec: 70, outcome: 'left' },
          { userId: 'bob', role: 'Called', platform: 'iOS', joinedAt: seconds(at(10_000)), leftAt: seconds(at(30_000)), durationSec: 20, outcome: 'left' },
          { userId: 'carol', role: 'Called', platform: 'Web', joinedAt: seconds(at(30_000)), leftAt: seconds(at(95_300)), durationSec: 65, outcome: 'left' },
          // 25 s, then 33.3 s.
          { userId: 'dave', role: 'Called', platform: 'Windows', joinedAt: seconds(at(20_000)), leftAt: seconds(at(95_300)), durationSec: 58, outcome: 'left' },
        ],
        peakConnected: 3,
        // From bob's answer (10 s) to the end (95.3 s) there were always at least two.
        connectedDurationSec: 85,
      },
    ]);
    expect(recordsOf(end.effects)).toEqual([expect.objectContaining({ CallResult: 'NormalEnd', AcceptTime: seconds(at(10_000)), StartTime: seconds(T0), EndTime: seconds(at(95_300)) })]);
  });

  it('never counts a hand-over at the same millisecond as two at once, whichever comes first; a member never in the call has zeros', () => {
    // Prepare: alice calls bob and carol; bob talks with alice, then carol takes over from bob at 20 s.
    const { call } = aliceCallsBobAndCarol();
    const leaveFirst = [hangup('bob', BOB, T0 + 20_000), accept('carol', CAROL, T0 + 20_000)];
    const joinFirst = [accept('carol', CAROL, T0 + 20_000), hangup('bob', BOB, T0 + 20_000)];

    // Act
    const details = [leaveFirst, joinFirst].map((handOver) => {
      const steps = run(call, accept('bob', BOB, T0 + 10_000), ...handOver, hangup('alice', ALICE, T0 + 30_000));
      return detailsOf((steps.at(-1) as Transition).effects)[0];
    });
    const nobodyAnswered = run(call, { type: 'timeout', now: DEADLINE })[0] as Transition;

    // Assess
    for (const d of details) {
      expect(d?.peakConnected).toBe(2);
      expect(d?.connectedDurationSec).toBe(20);
      expect(d?.members.map((m) => [m.userId, m.durationSec])).toEqual([['alice', 20], ['bob', 10], ['carol', 10]]);
    }
    expect(detailsOf(nobodyAnswered.effects)).toEqual([
      {
        members: [
          { userId: 'alice', role: 'Caller', platform: 'Android', joinedAt: seconds(T0), leftAt: seconds(DEADLINE), durationSec: 0, outcome: 'left' },
          { userId: 'bob', role: 'Called', platform: '', joinedAt: 0, leftAt: 0, durationSec: 0, outcome: 'noResponse' },
          { userId: 'carol', role: 'Called', platform: '', joinedAt: 0, leftAt: 0, durationSec: 0, outcome: 'noResponse' },
        ],
        peakConnected: 1,
        connectedDurationSec: 0,
      },
    ]);
  });

  // A bug (record-details.ts): durations are rounded (`Math.round`) while the record's times and the members'
  // joinedAt/leftAt are floored, so get_record_detail can report more seconds together than the call lasted.
  // Here: the call starts at .100 s, bob answers 200 ms later and they talk 60.6 s → ConnectedDuration 61 and
  // bob's Duration 61, but EndTime − StartTime = 60 and his LeaveTime − JoinTime = 60.
  it('never reports more time together than the record’s call lasted, nor more than a member’s own LeaveTime − JoinTime', () => {
    // Prepare
    const t0 = T0 - 707; // …128.100 s
    const { call } = frozen(startCall(startCommand([invitee('bob', [BOB]), invitee('carol', [CAROL])], { now: t0 })));

    // Act
    const steps = run(call, accept('bob', BOB, t0 + 200), { type: 'reject', ...by('carol', CAROL, t0 + 300) }, hangup('bob', BOB, t0 + 60_800));

    // Assess
    const end = steps.at(-1) as Transition;
    const record = recordsOf(end.effects)[0];
    const details = detailsOf(end.effects)[0];
    const bob = details?.members.find((m) => m.userId === 'bob');
    expect.soft(details?.connectedDurationSec, 'ConnectedDuration ≤ EndTime − StartTime').toBeLessThanOrEqual((record?.EndTime ?? 0) - (record?.StartTime ?? 0));
    expect.soft(bob?.durationSec, 'bob: Duration ≤ LeaveTime − JoinTime').toBeLessThanOrEqual((bob?.leftAt ?? 0) - (bob?.joinedAt ?? 0));
  });
});
