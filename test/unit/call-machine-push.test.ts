import { describe, expect, it } from 'vitest';
import { startCall } from '../../lib/calls/index.ts';
import type { CallCommand, CallRecord, DeviceRef, Effect, InviteeInfo, MemberAction, Transition } from '../../lib/calls/index.ts';
import { applyFrozen as apply, device, frozen, pushesOf, startCommand, recordFor, T0 } from '../support/machine-model.ts';

// Example-based tests of offline pushes (lib/calls/emit.ts `offlinePush`): an invitee who starts ringing on no
// device (she has no online device) is pushed — `Call.CallbackOfflinePush` Kind `Invite`, right after her (empty)
// onCallReceived would be — and when that invitation stops ringing, for whatever reason, the push is withdrawn
// once (`Cancel`): as her part ends (before her line is released), or as she connects (before anyone hears she is
// in). Push callbacks take the next callback Seq like every other callback. Exact effects throughout; every call
// the machine returns is deep-frozen before it is used again.

const ALICE = device('alice-1'); // the caller's device
const BOB_PHONE = device('bob-phone');
const BOB_WEB = device('bob-web');
const CAROL = device('carol-1');
const ERIN = device('erin-1');
const DEADLINE = T0 + 30_000;
const ROOM = { roomId: 123456, roomIdType: 1 as const };
const seconds = (ms: number) => Math.floor(ms / 1000);
const OFFLINE: DeviceRef[] = [];

const invitee = (userId: string, ringTargets: DeviceRef[], busy = false): InviteeInfo => ({ userId, ringTargets, busy });
/** alice calls bob (1v1, Video, 30 s), who rings on `ringTargets` (none: he is offline). */
const aliceCallsBob = (ringTargets: DeviceRef[] = OFFLINE): Transition => frozen(startCall(startCommand([invitee('bob', ringTargets)])));
/** alice calls several invitees in a group call (Video, 30 s). */
const aliceCallsGroup = (invitees: InviteeInfo[]): Transition => frozen(startCall(startCommand(invitees)));

/** Applies the commands in order to a frozen call; returns every transition. */
function applyAll(call: Transition['call'], ...commands: CallCommand[]): Transition[] {
  const steps: Transition[] = [];
  for (const cmd of commands) steps.push(apply(steps.at(-1)?.call ?? call, cmd));
  return steps;
}
const last = (steps: Transition[]): Transition => steps.at(-1) as Transition;

const by = (userId: string, d: DeviceRef, now: number) => ({ userId, device: d, now });

// The exact effects, built as the machine numbers them.
const push = (seq: number, time: number, userId: string, kind: 'Invite' | 'Cancel'): Effect => ({ kind: 'callback', command: 'Call.CallbackOfflinePush', seq, time, push: { userId, kind } });
const send = (to: DeviceRef[], event: Extract<Effect, { kind: 'send' }>['event'], seq: number, time: number, data: Record<string, unknown>): Effect => ({
  kind: 'send',
  to,
  event,
  seq,
  time,
  data: { callId: 'call-1', ...data },
});
const memberChanged = (seq: number, time: number, changes: [string, MemberAction][], d?: DeviceRef): Effect => ({
  kind: 'callback',
  command: 'Call.CallbackAfterMemberChanged',
  seq,
  time,
  changes: changes.map(([userId, action]) => ({ userId, action })),
  ...(d ? { by: d } : {}),
});
const callback = (command: 'Call.CallbackAfterStartCall' | 'Call.CallbackAfterEndCall', seq: number, time: number, d?: DeviceRef): Effect => ({ kind: 'callback', command, seq, time, ...(d ? { by: d } : {}) });
const released = (userId: string, since = T0): Effect => ({ kind: 'releaseLine', userId, since });
const record = (over: Partial<CallRecord>): Effect => ({
  kind: 'record',
  record: recordFor(over),
  details: expect.anything(),
});
const notConnected = (reason: string, userId: string) => ({ mediaType: 'Video', reason, userId });
const invitation = (over: Record<string, unknown> = {}) => ({
  callerId: 'alice',
  calleeIdList: ['bob'],
  mediaType: 'Video',
  scene: 'SINGLE_CALL',
  ...ROOM,
  userData: '',
  chatGroupId: '',
  timeout: 30,
  ringDeadline: DEADLINE,
  ...over,
});
const begin = (role: 'Caller' | 'Called') => ({ mediaType: 'Video', ...ROOM, role });

describe('call machine: offline push to a 1v1 callee with no online device', () => {
  it('pushes the invitation (Invite, callback Seq 2) right after the start callback; he rings nowhere and is marked pushed', () => {
    // Act
    const { call, effects } = aliceCallsBob(OFFLINE);

    // Assess
    expect(effects).toEqual([callback('Call.CallbackAfterStartCall', 1, T0, ALICE), push(2, T0, 'bob', 'Invite'), { kind: 'timer', at: DEADLINE }]);
    expect(call.members[1]).toMatchObject({ userId: 'bob', state: 'ringing', ringing: [], pushed: true });
    expect(call.callbackSeq).toBe(2);
    expect(call.seq).toBe(0); // no event was sent
  });

  it('withdraws the push (Cancel) when the invitation times out, before his line is released; the call ends NotAnswer', () => {
    // Prepare
    const { call } = aliceCallsBob(OFFLINE);

    // Act
    const { call: after, effects } = apply(call, { type: 'timeout', now: DEADLINE });

    // Assess
    expect(effects).toEqual([
      push(3, DEADLINE, 'bob', 'Cancel'),
      released('bob'),
      send([ALICE], 'onUserNoResponse', 1, DEADLINE, { userId: 'bob' }),
      memberChanged(4, DEADLINE, [['bob', 'NotAnswer']]),
      send([ALICE], 'onCallNotConnected', 2, DEADLINE, notConnected('NoResponse', 'alice')),
      released('alice'),
      record({ CallResult: 'NotAnswer', EndTime: seconds(DEADLINE) }),
      callback('Call.CallbackAfterEndCall', 5, DEADLINE),
    ]);
    expect(after.members[1]).toMatchObject({ state: 'noResponse', pushed: false });
  });

  it('keeps the push while a device logs in late (it rings, nothing is withdrawn yet), and withdraws it when that device rejects', () => {
    // Prepare
    const { call } = aliceCallsBob(OFFLINE);

    // Act
    const [online, rejected] = applyAll(call, { type: 'deviceOnline', ...by('bob', BOB_PHONE, T0 + 5_000) }, { type: 'reject', ...by('bob', BOB_PHONE, T0 + 6_000) }) as [Transition, Transition];

    // Assess
    expect(online.effects).toEqual([send([BOB_PHONE], 'onCallReceived', 1, T0 + 5_000, invitation({ remainingMs: 25_000 }))]);
    expect(online.call.members[1]).toMatchObject({ state: 'ringing', ringing: [BOB_PHONE], pushed: true });
    const at = T0 + 6_000;
    expect(rejected.effects).toEqual([
      send([BOB_PHONE], 'onCallNotConnected', 2, at, notConnected('Reject', 'bob')),
      push(3, at, 'bob', 'Cancel'),
      released('bob'),
      send([ALICE], 'onUserReject', 3, at, { userId: 'bob' }),
      memberChanged(4, at, [['bob', 'Reject']], BOB_PHONE),
      send([ALICE], 'onCallNotConnected', 4, at, notConnected('Reject', 'alice')),
      released('alice'),
      record({ CallResult: 'Reject', EndTime: seconds(at) }),
      callback('Call.CallbackAfterEndCall', 5, at, BOB_PHONE),
    ]);
    expect(rejected.call.members[1]).toMatchObject({ state: 'rejected', pushed: false });
  });

  it('withdraws the push when the caller cancels, before the Cancel_Invite callback', () => {
    // Prepare
    const { call } = aliceCallsBob(OFFLINE);
    const at = T0 + 2_000;

    // Act
    const { call: after, effects } = apply(call, { type: 'hangup', ...by('alice', ALICE, at) });

    // Assess
    expect(effects).toEqual([
      push(3, at, 'bob', 'Cancel'),
      released('bob'),
      memberChanged(4, at, [['bob', 'Cancel_Invite']], ALICE),
      send([ALICE], 'onCallNotConnected', 1, at, notConnected('Canceled', 'alice')),
      released('alice'),
      record({ CallResult: 'Cancel', EndTime: seconds(at) }),
      callback('Call.CallbackAfterEndCall', 5, at, ALICE),
    ]);
    expect(after.members[1]).toMatchObject({ state: 'canceled', pushed: false });
  });

  it('withdraws the push when he accepts on a device that logged in late: after his other device hears OtherDeviceAccepted, before anyone begins', () => {
    // Prepare: bob is offline at the start; later his phone and then his web log in, and ring.
    const { call } = aliceCallsBob(OFFLINE);
    const at = T0 + 8_000;

    // Act
    const steps = applyAll(
      call,
      { type: 'deviceOnline', ...by('bob', BOB_PHONE, T0 + 3_000) },
      { type: 'deviceOnline', ...by('bob', BOB_WEB, T0 + 4_000) },
      { type: 'accept', ...by('bob', BOB_WEB, at) },
      { type: 'hangup', ...by('bob', BOB_WEB, at + 10_000) },
    );
    const [, , accepted, hungUp] = steps as [Transition, Transition, Transition, Transition];

    // Assess
    expect(accepted.effects).toEqual([
      send([BOB_PHONE], 'onCallNotConnected', 3, at, notConnected('OtherDeviceAccepted', 'bob')),
      push(3, at, 'bob', 'Cancel'),
      send([ALICE], 'onCallBegin', 4, at, begin('Caller')),
      send([BOB_WEB], 'onCallBegin', 5, at, begin('Called')),
      memberChanged(4, at, [['bob', 'Accept']], BOB_WEB),
    ]);
    expect(accepted.call.members[1]).toMatchObject({ state: 'joined', device: BOB_WEB, pushed: false });
    // Once withdrawn, nothing more is pushed or withdrawn: the rest of the call has no push callback.
    expect(pushesOf(hungUp.effects)).toEqual([]);
    expect(pushesOf(steps.flatMap((t) => t.effects))).toEqual([{ seq: 3, userId: 'bob', kind: 'Cancel' }]);
  });

  it('withdraws the push once even when his late device is gone again before the invitation stops ringing', () => {
    // Prepare
    const { call } = aliceCallsBob(OFFLINE);

    // Act
    const steps = applyAll(
      call,
      { type: 'deviceOnline', ...by('bob', BOB_PHONE, T0 + 1_000) },
      { type: 'deviceGone', now: T0 + 2_000, connectionId: BOB_PHONE.connectionId },
      { type: 'timeout', now: DEADLINE },
    );

    // Assess: the device coming and going pushes nothing; the timeout withdraws the one push.
    expect(steps.map((t) => pushesOf(t.effects))).toEqual([[], [], [{ seq: 3, userId: 'bob', kind: 'Cancel' }]]);
    expect(steps[1]?.call.members[1]).toMatchObject({ state: 'ringing', ringing: [], pushed: true });
  });

  it('never pushes a busy callee (he does not ring): the call ends CallBusy with no push callback', () => {
    // Act
    const { effects } = frozen(startCall(startCommand([invitee('bob', OFFLINE, true)])));

    // Assess
    expect(pushesOf(effects)).toEqual([]);
    expect(effects.filter((e) => e.kind === 'callback').map((e) => [e.command, e.seq])).toEqual([
      ['Call.CallbackAfterStartCall', 1],
      ['Call.CallbackAfterEndCall', 2],
    ]);
  });

  it('withdraws the push when the caller goes offline before an answer (Offline), and when the server ends the call', () => {
    // Prepare
    const { call } = aliceCallsBob(OFFLINE);
    const at = T0 + 3_000;

    // Act
    const offline = apply(call, { type: 'memberOffline', now: at, userId: 'alice', connectionId: ALICE.connectionId });
    const ended = apply(call, { type: 'endByServer', now: at, by: 'administrator' });

    // Assess
    expect(offline.effects).toEqual([
      released('alice'),
      memberChanged(3, at, [['alice', 'Offline']]),
      push(4, at, 'bob', 'Cancel'),
      released('bob'),
      memberChanged(5, at, [['bob', 'Cancel_Invite']]),
      record({ CallResult: 'Offline', EndTime: seconds(at) }),
      callback('Call.CallbackAfterEndCall', 6, at),
    ]);
    expect(ended.effects).toEqual([
      push(3, at, 'bob', 'Cancel'),
      released('bob'),
      memberChanged(4, at, [['bob', 'Cancel_Invite']]),
      send([ALICE], 'onCallNotConnected', 1, at, notConnected('EndByServer', 'alice')),
      released('alice'),
      record({ CallResult: 'Cancel', EndTime: seconds(at) }),
      callback('Call.CallbackAfterEndCall', 5, at),
    ]);
  });
});

describe('call machine: offline push in group calls', () => {
  const DAVE_LATE = device('dave-1');

  it('pushes only the offline invitees at the start, in invitation order, each right after her turn; withdraws them in member order when the server ends the call', () => {
    // Act: bob and carol are offline, erin rings on her phone.
    const started = aliceCallsGroup([invitee('bob', OFFLINE), invitee('carol', OFFLINE), invitee('erin', [ERIN])]);
    const at = T0 + 4_000;
    const ended = apply(started.call, { type: 'endByServer', now: at, by: 'administrator' });

    // Assess
    const group = { calleeIdList: ['bob', 'carol', 'erin'], scene: 'MULTI_CALL', remainingMs: 30_000 };
    expect(started.effects).toEqual([
      callback('Call.CallbackAfterStartCall', 1, T0, ALICE),
      push(2, T0, 'bob', 'Invite'),
      push(3, T0, 'carol', 'Invite'),
      send([ERIN], 'onCallReceived', 1, T0, invitation(group)),
      { kind: 'timer', at: DEADLINE },
    ]);
    expect(started.call.members.map((m) => [m.userId, m.pushed ?? false])).toEqual([['alice', false], ['bob', true], ['carol', true], ['erin', false]]);
    expect(ended.effects).toEqual([
      push(4, at, 'bob', 'Cancel'),
      released('bob'),
      push(5, at, 'carol', 'Cancel'),
      released('carol'),
      send([ERIN], 'onCallNotConnected', 2, at, notConnected('EndByServer', 'administrator')),
      released('erin'),
      memberChanged(6, at, [['bob', 'Cancel_Invite'], ['carol', 'Cancel_Invite'], ['erin', 'Cancel_Invite']]),
      send([ALICE], 'onCallNotConnected', 3, at, notConnected('EndByServer', 'alice')),
      released('alice'),
      record({ CallType: 'MultiCall', CalleeList_Account: ['alice', 'bob', 'carol', 'erin'], CallResult: 'Cancel', EndTime: seconds(at) }),
      callback('Call.CallbackAfterEndCall', 7, at),
    ]);
  });

  it('pushes a user invited to a live group call who has no online device (not a busy one, not one who rings); withdraws it at her timeout while the call goes on', () => {
    // Prepare: alice calls bob and carol (online); bob accepts.
    const { call } = aliceCallsGroup([invitee('bob', [BOB_PHONE]), invitee('carol', [CAROL])]);
    const accepted = apply(call, { type: 'accept', ...by('bob', BOB_PHONE, T0 + 1_000) });
    const at = T0 + 5_000;
    const daveDeadline = at + 20_000;

    // Act: bob invites dave (offline), erin (rings on her phone) and frank (offline, but busy), 20 s.
    const invited = apply(accepted.call, {
      type: 'invite',
      ...by('bob', BOB_PHONE, at),
      invitees: [invitee('dave', OFFLINE), invitee('erin', [ERIN]), invitee('frank', OFFLINE, true)],
      timeoutSec: 20,
    });
    const timedOut = apply(invited.call, { type: 'timeout', now: daveDeadline });

    // Assess
    const inCall = [ALICE, BOB_PHONE];
    const calleeIdList = ['bob', 'carol', 'dave', 'erin', 'frank'];
    expect(invited.effects).toEqual([
      send(inCall, 'onUserInviting', 5, at, { userId: 'dave' }),
      push(3, at, 'dave', 'Invite'),
      send(inCall, 'onUserInviting', 6, at, { userId: 'erin' }),
      send([ERIN], 'onCallReceived', 7, at, invitation({ calleeIdList, scene: 'MULTI_CALL', timeout: 20, ringDeadline: daveDeadline, remainingMs: 20_000 })),
      send(inCall, 'onUserLineBusy', 8, at, { userId: 'frank' }),
      memberChanged(4, at, [['dave', 'Invite'], ['erin', 'Invite'], ['frank', 'Invite']], BOB_PHONE),
      { kind: 'timer', at: daveDeadline },
    ]);
    expect(invited.call.members.find((m) => m.userId === 'dave')).toMatchObject({ state: 'ringing', ringing: [], pushed: true });
    expect(invited.call.members.find((m) => m.userId === 'frank')?.pushed).toBeFalsy();
    expect(timedOut.effects).toEqual([
      push(5, daveDeadline, 'dave', 'Cancel'),
      released('dave', at),
      send([ERIN], 'onCallNotConnected', 9, daveDeadline, notConnected('NoResponse', 'erin')),
      released('erin', at),
      send(inCall, 'onUserNoResponse', 10, daveDeadline, { userId: 'dave' }),
      send(inCall, 'onUserNoResponse', 11, daveDeadline, { userId: 'erin' }),
      memberChanged(6, daveDeadline, [['dave', 'NotAnswer'], ['erin', 'NotAnswer']]),
    ]);
    expect(timedOut.call.status).toBe('connected'); // carol still rings until T0 + 30 s
  });

  it('withdraws the push of an offline invitee who joins on her own (join, as if she accepted)', () => {
    // Prepare: alice calls bob (online) and dave (offline); bob accepts.
    const { call } = aliceCallsGroup([invitee('bob', [BOB_PHONE]), invitee('dave', OFFLINE)]);
    const accepted = apply(call, { type: 'accept', ...by('bob', BOB_PHONE, T0 + 1_000) });
    const at = T0 + 2_000;

    // Act: dave logs in and joins from that device without it ever ringing.
    const joined = apply(accepted.call, { type: 'join', ...by('dave', DAVE_LATE, at), invitedOnly: true });

    // Assess
    expect(joined.effects).toEqual([
      push(4, at, 'dave', 'Cancel'),
      send([ALICE], 'onUserJoin', 4, at, { userId: 'dave' }),
      send([BOB_PHONE], 'onUserJoin', 5, at, { userId: 'dave' }),
      send([DAVE_LATE], 'onCallBegin', 6, at, begin('Called')),
      memberChanged(5, at, [['dave', 'Join']], DAVE_LATE),
    ]);
  });

  it('pushes the caller too if she left a group call and is invited back with no online device: she is then an invitee like any other', () => {
    // Prepare: alice calls bob and carol; both accept; alice leaves (bob and carol go on).
    const { call } = aliceCallsGroup([invitee('bob', [BOB_PHONE]), invitee('carol', [CAROL])]);
    const steps = applyAll(
      call,
      { type: 'accept', ...by('bob', BOB_PHONE, T0 + 1_000) },
      { type: 'accept', ...by('carol', CAROL, T0 + 2_000) },
      { type: 'hangup', ...by('alice', ALICE, T0 + 3_000) },
    );
    const at = T0 + 4_000;

    // Act: bob invites alice back; she has no online device.
    const invited = apply(last(steps).call, { type: 'invite', ...by('bob', BOB_PHONE, at), invitees: [invitee('alice', OFFLINE)], timeoutSec: 30 });
    const rejoined = apply(invited.call, { type: 'join', ...by('alice', ALICE, at + 1_000), invitedOnly: false });

    // Assess: the push is for her invitation, not for her call (she is not in it any more); joining withdraws it.
    expect(pushesOf(invited.effects)).toEqual([{ seq: 5, userId: 'alice', kind: 'Invite' }]);
    expect(invited.call.members[0]).toMatchObject({ userId: 'alice', role: 'Caller', state: 'ringing', pushed: true });
    expect(pushesOf(rejoined.effects)).toEqual([{ seq: 7, userId: 'alice', kind: 'Cancel' }]);
  });
});

describe('call machine: no offline push for invitees who ring on a device', () => {
  it('pushes nothing, from start to end, when every invitee rings somewhere — even once her devices are gone', () => {
    // Prepare: alice calls bob (phone) and carol (her one device); bob accepts; carol's device is gone, then she times out.
    const started = aliceCallsGroup([invitee('bob', [BOB_PHONE]), invitee('carol', [CAROL])]);

    // Act
    const steps = applyAll(
      started.call,
      { type: 'accept', ...by('bob', BOB_PHONE, T0 + 1_000) },
      { type: 'deviceGone', now: T0 + 2_000, connectionId: CAROL.connectionId },
      { type: 'timeout', now: DEADLINE },
      { type: 'hangup', ...by('bob', BOB_PHONE, DEADLINE + 1_000) },
    );

    // Assess
    expect(pushesOf([...started.effects, ...steps.flatMap((t) => t.effects)])).toEqual([]);
    expect(steps[1]?.call.members.find((m) => m.userId === 'carol')).toMatchObject({ state: 'ringing', ringing: [] });
    expect(steps[1]?.call.members.find((m) => m.userId === 'carol')?.pushed).toBeFalsy();
    // Callback Seqs stay gapless without pushes: start, Accept, NotAnswer, Hangup, end.
    expect([...started.effects, ...steps.flatMap((t) => t.effects)].flatMap((e) => (e.kind === 'callback' ? [e.seq] : []))).toEqual([1, 2, 3, 4, 5]);
  });

  it('pushes nothing for a 1v1 callee who rings, whatever ends the invitation', () => {
    // Prepare
    const { call, effects } = aliceCallsBob([BOB_PHONE]);

    // Act
    const ends = [
      apply(call, { type: 'timeout', now: DEADLINE }),
      apply(call, { type: 'reject', ...by('bob', BOB_PHONE, T0 + 1_000) }),
      apply(call, { type: 'accept', ...by('bob', BOB_PHONE, T0 + 1_000) }),
      apply(call, { type: 'hangup', ...by('alice', ALICE, T0 + 1_000) }),
      apply(call, { type: 'endByServer', now: T0 + 1_000, by: 'administrator' }),
    ];

    // Assess
    expect(pushesOf([...effects, ...ends.flatMap((t) => t.effects)])).toEqual([]);
  });
});
