import { describe, expect, it } from 'vitest';
import { InvitationHandledError, startCall } from '../../lib/calls/index.ts';
import type { CallCommand, CallRecord, DeviceRef, InviteeInfo, Transition } from '../../lib/calls/index.ts';
import { applyFrozen as apply, callbacksOf, device, eventsTo, frozen, reconnected, recordsOf, refusal, releasedLines, sendsOf, startCommand, recordFor, T0 } from '../support/machine-model.ts';

// Example-based tests of the device commands of the pure call machine (lib/calls/devices.ts) and of
// multi-device answering (DESIGN.md Invariant 1, "Devices"; spec/multi-device.md A.2): a device that logs
// in while its user's invitation rings (`deviceOnline`), a reconnect that moves the call to the new
// connection, a call device that is offline for good (`memberOffline`), a ring target that is gone or kicked
// (`deviceGone`), and first-answer-wins across a user's devices — with the exact events each device gets.
// Every call the machine returns is deep-frozen before it is used again.

const ALICE = device('alice-1'); // the caller's device
const BOB_PHONE = device('bob-phone');
const BOB_WEB = device('bob-web');
const BOB_PAD = device('bob-pad');
const CAROL = device('carol-1');
const DEADLINE = T0 + 30_000;
const ROOM = { roomId: 123456, roomIdType: 1 };
const seconds = (ms: number) => Math.floor(ms / 1000);

/** What every onCallReceived of alice's 1v1 call to bob says, whenever it is sent. */
const INVITATION = { callerId: 'alice', calleeIdList: ['bob'], mediaType: 'Video', scene: 'SINGLE_CALL', ...ROOM, userData: '', chatGroupId: '', timeout: 30, ringDeadline: DEADLINE };

/** alice calls bob (1v1, Video, 30 s), who rings on `ringTargets`. */
const aliceCallsBob = (ringTargets: DeviceRef[] = [BOB_PHONE]): Transition => frozen(startCall(startCommand([{ userId: 'bob', ringTargets, busy: false }])));

/** alice calls bob and carol (group call, 30 s). */
const aliceCallsGroup = (invitees: InviteeInfo[] = [
  { userId: 'bob', ringTargets: [BOB_PHONE], busy: false },
  { userId: 'carol', ringTargets: [CAROL], busy: false },
]): Transition => frozen(startCall(startCommand(invitees)));

/** Applies the commands in order to a frozen call; returns the last transition. */
function applyAll(call: Transition['call'], ...commands: CallCommand[]): Transition {
  let t: Transition = { call, effects: [] };
  for (const cmd of commands) t = apply(t.call, cmd);
  return t;
}

const by = (userId: string, d: DeviceRef, now: number) => ({ userId, device: d, now });
const accept = (userId: string, d: DeviceRef, now: number): CallCommand => ({ type: 'accept', ...by(userId, d, now) });
const online = (userId: string, d: DeviceRef, now: number): CallCommand => ({ type: 'deviceOnline', ...by(userId, d, now) });
const offline = (userId: string, d: DeviceRef, now: number): CallCommand => ({ type: 'memberOffline', now, userId, connectionId: d.connectionId });
const notConnected = (reason: string, userId: string) => ({ event: 'onCallNotConnected', data: { mediaType: 'Video', reason, userId } });
const memberOf = (t: Transition, userId: string) => t.call.members.find((m) => m.userId === userId);

describe('call machine: a device logs in while its user is invited (deviceOnline)', () => {
  it('rings a device that logs in before the deadline with onCallReceived and the time left; it then answers like any ring target', () => {
    // Prepare: bob rings on his phone only.
    const { call } = aliceCallsBob([BOB_PHONE]);

    // Act: 12.345 s later he logs in on the web; the web accepts.
    const late = apply(call, online('bob', BOB_WEB, T0 + 12_345));
    const accepted = apply(late.call, accept('bob', BOB_WEB, T0 + 14_000));

    // Assess
    expect(eventsTo(late.effects, BOB_WEB.connectionId)).toEqual([{ event: 'onCallReceived', data: { ...INVITATION, remainingMs: 17_655 } }]);
    expect(sendsOf(late.effects)).toHaveLength(1); // nobody else is told
    expect(sendsOf(late.effects)[0]?.seq).toBe(2);
    expect(late.effects.filter((e) => e.kind !== 'send')).toEqual([]); // no timer (the deadline is unchanged), no callback
    expect(memberOf(late, 'bob')?.ringing).toEqual([BOB_PHONE, BOB_WEB]);
    expect(eventsTo(accepted.effects, BOB_PHONE.connectionId)).toEqual([notConnected('OtherDeviceAccepted', 'bob')]);
    expect(memberOf(accepted, 'bob')).toMatchObject({ state: 'joined', device: BOB_WEB });
  });

  it('rings an invitee who had no device online when she logs in (woken by a push), and the late device hears the timeout', () => {
    // Prepare: bob rings nowhere.
    const { call } = aliceCallsBob([]);

    // Act
    const late = apply(call, online('bob', BOB_PAD, T0 + 29_999));
    const timedOut = apply(late.call, { type: 'timeout', now: DEADLINE });

    // Assess
    expect(eventsTo(late.effects, BOB_PAD.connectionId)).toEqual([{ event: 'onCallReceived', data: { ...INVITATION, remainingMs: 1 } }]);
    expect(eventsTo(timedOut.effects, BOB_PAD.connectionId)).toEqual([notConnected('NoResponse', 'bob')]);
  });

  it('does nothing for a device that logs in at or after the deadline, even before the timeout fired', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE]);

    // Act
    const atDeadline = apply(call, online('bob', BOB_WEB, DEADLINE));
    const later = apply(call, online('bob', BOB_WEB, DEADLINE + 5_000));

    // Assess
    expect(atDeadline).toEqual({ call, effects: [] });
    expect(later).toEqual({ call, effects: [] });
  });

  it('replaces the ringing connection of a device that reconnects: the new connection rings, the old one is forgotten', () => {
    // Prepare: bob rings on phone and web; the phone reconnects on a new connection.
    const { call } = aliceCallsBob([BOB_PHONE, BOB_WEB]);
    const phoneAgain = reconnected(BOB_PHONE, 'bob-phone-2');

    // Act
    const back = apply(call, online('bob', phoneAgain, T0 + 5_000));
    const timedOut = apply(back.call, { type: 'timeout', now: DEADLINE });

    // Assess
    expect(eventsTo(back.effects, phoneAgain.connectionId)).toEqual([{ event: 'onCallReceived', data: { ...INVITATION, remainingMs: 25_000 } }]);
    expect(memberOf(back, 'bob')?.ringing).toEqual([BOB_WEB, phoneAgain]);
    expect(eventsTo(timedOut.effects, BOB_PHONE.connectionId)).toEqual([]);
    expect(eventsTo(timedOut.effects, phoneAgain.connectionId)).toEqual([notConnected('NoResponse', 'bob')]);
  });

  it('moves the call to the new connection of the device it is on (reconnect), silently; the events after it go there', () => {
    // Prepare: bob is in the call on his phone; the phone reconnects.
    const { call } = aliceCallsBob([BOB_PHONE]);
    const accepted = apply(call, accept('bob', BOB_PHONE, T0 + 1_000));
    const phoneAgain = reconnected(BOB_PHONE, 'bob-phone-2');

    // Act
    const back = apply(accepted.call, online('bob', phoneAgain, T0 + 20_000));
    const hungUp = apply(back.call, { type: 'hangup', ...by('alice', ALICE, T0 + 41_000) });

    // Assess
    expect(back.effects).toEqual([]);
    expect(memberOf(back, 'bob')).toMatchObject({ state: 'joined', device: phoneAgain });
    const end = { mediaType: 'Video', reason: 'Hangup', userId: 'alice', totalTime: 40, role: 'Called' };
    expect(eventsTo(hungUp.effects, phoneAgain.connectionId)).toEqual([{ event: 'onCallEnd', data: end }]);
    expect(eventsTo(hungUp.effects, BOB_PHONE.connectionId)).toEqual([]);
  });

  it('moves the caller’s call device too: her cancel is told on the new connection', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE]);
    const aliceAgain = reconnected(ALICE, 'alice-2');

    // Act
    const back = apply(call, online('alice', aliceAgain, T0 + 3_000));
    const canceled = apply(back.call, { type: 'hangup', ...by('alice', aliceAgain, T0 + 4_000) });

    // Assess
    expect(back.effects).toEqual([]);
    expect(eventsTo(canceled.effects, aliceAgain.connectionId)).toEqual([notConnected('Canceled', 'alice')]);
    expect(eventsTo(canceled.effects, ALICE.connectionId)).toEqual([]);
  });

  it('leaves the call on its device when another device of the user logs in (it does not ring, it does not take over)', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE]);
    const accepted = apply(call, accept('bob', BOB_PHONE, T0 + 1_000));

    // Act
    const other = apply(accepted.call, online('bob', BOB_WEB, T0 + 2_000));

    // Assess
    expect(other).toEqual({ call: accepted.call, effects: [] });
  });
});

describe('call machine: a call device is offline for good (memberOffline)', () => {
  it('ends a connected 1v1 as Offline: the other side gets onCallEnd (reason Offline, his id), the gone device nothing; record Offline, callback ActionType Offline', () => {
    // Prepare
    const acceptAt = T0 + 1_000;
    const offlineAt = acceptAt + 60_000;
    const { call } = aliceCallsBob([BOB_PHONE]);
    const accepted = apply(call, accept('bob', BOB_PHONE, acceptAt));

    // Act
    const { call: after, effects } = apply(accepted.call, offline('bob', BOB_PHONE, offlineAt));

    // Assess
    expect(eventsTo(effects, ALICE.connectionId)).toEqual([{ event: 'onCallEnd', data: { mediaType: 'Video', reason: 'Offline', userId: 'bob', totalTime: 60, role: 'Caller' } }]);
    expect(eventsTo(effects, BOB_PHONE.connectionId)).toEqual([]);
    expect(sendsOf(effects)).toHaveLength(1);
    expect(recordsOf(effects)).toEqual([recordFor({ CallResult: 'Offline', AcceptTime: seconds(acceptAt), EndTime: seconds(offlineAt) })]);
    expect(callbacksOf(effects)).toEqual([
      { command: 'Call.CallbackAfterMemberChanged', seq: 3, changes: [{ userId: 'bob', action: 'Offline' }] },
      { command: 'Call.CallbackAfterEndCall', seq: 4 },
    ]);
    // Caused by the server, not by a device (OptPlatform Server, no ClientIP).
    expect(effects.filter((e) => e.kind === 'callback').map((e) => ('by' in e ? e.by : undefined))).toEqual([undefined, undefined]);
    expect(releasedLines(effects).sort()).toEqual(['alice', 'bob']);
    expect(after.status).toBe('ended');
    expect(after.members.map((m) => [m.userId, m.state, m.endReason])).toEqual([['alice', 'left', 'Offline'], ['bob', 'left', 'Offline']]);
  });

  it('ends a connected 1v1 as Offline when the caller’s device is the one that went offline', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE]);
    const accepted = apply(call, accept('bob', BOB_PHONE, T0 + 1_000));

    // Act
    const { effects } = apply(accepted.call, offline('alice', ALICE, T0 + 11_000));

    // Assess
    expect(eventsTo(effects, BOB_PHONE.connectionId)).toEqual([{ event: 'onCallEnd', data: { mediaType: 'Video', reason: 'Offline', userId: 'alice', totalTime: 10, role: 'Called' } }]);
    expect(eventsTo(effects, ALICE.connectionId)).toEqual([]);
    expect(recordsOf(effects).map((r) => r.CallResult)).toEqual(['Offline']);
  });

  it('does nothing for a connection the call has moved away from (she reconnected within the grace period)', () => {
    // Prepare: bob is in the call; his phone reconnects; then the grace timer of the old connection fires.
    const { call } = aliceCallsBob([BOB_PHONE]);
    const phoneAgain = reconnected(BOB_PHONE, 'bob-phone-2');
    const back = applyAll(call, accept('bob', BOB_PHONE, T0 + 1_000), online('bob', phoneAgain, T0 + 5_000));

    // Act
    const stale = apply(back.call, offline('bob', BOB_PHONE, T0 + 35_000));

    // Assess
    expect(stale).toEqual({ call: back.call, effects: [] });
  });

  it('does nothing for a member who is only ringing, or for a connection she is not in the call on', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE, BOB_WEB]);
    const accepted = apply(call, accept('bob', BOB_PHONE, T0 + 1_000));

    // Act
    const ringing = apply(call, offline('bob', BOB_PHONE, T0 + 500));
    const otherDevice = apply(accepted.call, offline('bob', BOB_WEB, T0 + 2_000));

    // Assess
    expect(ringing).toEqual({ call, effects: [] });
    expect(otherDevice).toEqual({ call: accepted.call, effects: [] });
  });

  it('ends the call when the caller goes offline before anyone answered: the ringing devices get onCallNotConnected (Offline, her id); record Offline', () => {
    // Prepare
    const offlineAt = T0 + 5_000;
    const { call } = aliceCallsBob([BOB_PHONE, BOB_WEB]);

    // Act
    const { call: after, effects } = apply(call, offline('alice', ALICE, offlineAt));

    // Assess
    expect(eventsTo(effects, BOB_PHONE.connectionId)).toEqual([notConnected('Offline', 'alice')]);
    expect(eventsTo(effects, BOB_WEB.connectionId)).toEqual([notConnected('Offline', 'alice')]);
    expect(recordsOf(effects)).toEqual([recordFor({ CallResult: 'Offline', EndTime: seconds(offlineAt) })]);
    expect(callbacksOf(effects)).toEqual([
      { command: 'Call.CallbackAfterMemberChanged', seq: 2, changes: [{ userId: 'alice', action: 'Offline' }] },
      { command: 'Call.CallbackAfterMemberChanged', seq: 3, changes: [{ userId: 'bob', action: 'Cancel_Invite' }] },
      { command: 'Call.CallbackAfterEndCall', seq: 4 },
    ]);
    expect(releasedLines(effects).sort()).toEqual(['alice', 'bob']);
    expect(after.members.map((m) => [m.userId, m.state, m.endReason])).toEqual([['alice', 'left', 'Offline'], ['bob', 'canceled', 'Offline']]);
  });

  it('sends nothing to the caller’s gone device when she goes offline before anyone answered (as when a connected member goes offline)', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE]);

    // Act
    const { effects } = apply(call, offline('alice', ALICE, T0 + 5_000));

    // Assess: memberOffline means this connection is gone; leave() tells a gone device nothing, and so must this path.
    expect(eventsTo(effects, ALICE.connectionId)).toEqual([]);
  });

  it('lets a group call go on when one connected member goes offline: the others get onUserLeave', () => {
    // Prepare: alice calls bob and carol; both answer.
    const { call } = aliceCallsGroup();
    const connected = applyAll(call, accept('bob', BOB_PHONE, T0 + 1_000), accept('carol', CAROL, T0 + 2_000));

    // Act
    const { call: after, effects } = apply(connected.call, offline('bob', BOB_PHONE, T0 + 9_000));

    // Assess
    expect(eventsTo(effects, ALICE.connectionId)).toEqual([{ event: 'onUserLeave', data: { userId: 'bob' } }]);
    expect(eventsTo(effects, CAROL.connectionId)).toEqual([{ event: 'onUserLeave', data: { userId: 'bob' } }]);
    expect(eventsTo(effects, BOB_PHONE.connectionId)).toEqual([]);
    expect(callbacksOf(effects)).toEqual([{ command: 'Call.CallbackAfterMemberChanged', seq: 4, changes: [{ userId: 'bob', action: 'Offline' }] }]);
    expect(after.status).toBe('connected');
  });
});

describe('call machine: a ring target is gone or kicked (deviceGone)', () => {
  it('tells a kicked ringing device why (onCallNotConnected with notifyReason); the other devices keep ringing', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE, BOB_WEB]);

    // Act
    const kicked = apply(call, { type: 'deviceGone', now: T0 + 2_000, connectionId: BOB_WEB.connectionId, notifyReason: 'Unknown' });

    // Assess
    expect(eventsTo(kicked.effects, BOB_WEB.connectionId)).toEqual([notConnected('Unknown', 'bob')]);
    expect(sendsOf(kicked.effects)).toHaveLength(1);
    expect(kicked.effects.filter((e) => e.kind !== 'send')).toEqual([]);
    expect(memberOf(kicked, 'bob')).toMatchObject({ state: 'ringing', ringing: [BOB_PHONE] });
  });

  it('forgets a gone ringing device silently; the invitation still rings (on no device) until its deadline', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE]);

    // Act
    const gone = apply(call, { type: 'deviceGone', now: T0 + 2_000, connectionId: BOB_PHONE.connectionId });
    const timedOut = apply(gone.call, { type: 'timeout', now: DEADLINE });

    // Assess
    expect(gone.effects).toEqual([]);
    expect(memberOf(gone, 'bob')).toMatchObject({ state: 'ringing', ringing: [] });
    expect(gone.call.status).toBe('calling');
    expect(eventsTo(timedOut.effects, BOB_PHONE.connectionId)).toEqual([]);
    expect(recordsOf(timedOut.effects).map((r) => r.CallResult)).toEqual(['NotAnswer']);
  });
});

describe('call machine: first answer wins across a user’s devices (Invariant 1)', () => {
  it('connects the first device to accept; the other two hear OtherDeviceAccepted, and their later answers are 8010 and change nothing', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE, BOB_WEB, BOB_PAD]);

    // Act
    const accepted = apply(call, accept('bob', BOB_WEB, T0 + 1_000));
    const later = [
      refusal(accepted.call, accept('bob', BOB_PHONE, T0 + 1_001)),
      refusal(accepted.call, accept('bob', BOB_PAD, T0 + 1_500)),
      refusal(accepted.call, { type: 'reject', ...by('bob', BOB_PAD, T0 + 1_500) }),
      refusal(accepted.call, { type: 'ignore', ...by('bob', BOB_PHONE, T0 + 1_500) }),
      refusal(accepted.call, accept('bob', reconnected(BOB_PAD, 'bob-pad-2'), T0 + 2_000)),
    ];

    // Assess
    const otherAccepted = [notConnected('OtherDeviceAccepted', 'bob')];
    expect(eventsTo(accepted.effects, BOB_PHONE.connectionId)).toEqual(otherAccepted);
    expect(eventsTo(accepted.effects, BOB_PAD.connectionId)).toEqual(otherAccepted);
    expect(eventsTo(accepted.effects, BOB_WEB.connectionId)).toEqual([{ event: 'onCallBegin', data: { mediaType: 'Video', ...ROOM, role: 'Called' } }]);
    expect(eventsTo(accepted.effects, ALICE.connectionId)).toEqual([{ event: 'onCallBegin', data: { mediaType: 'Video', ...ROOM, role: 'Caller' } }]);
    for (const error of later) expect(error).toBeInstanceOf(InvitationHandledError);
    expect(later.map((e) => e.code)).toEqual([8010, 8010, 8010, 8010, 8010]);
    expect(memberOf(accepted, 'bob')).toMatchObject({ state: 'joined', device: BOB_WEB, ringing: [] });
  });

  it('rejects for the user when one of three devices rejects: the other two hear OtherDeviceReject, the rejecting one Reject, the caller onUserReject', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE, BOB_WEB, BOB_PAD]);

    // Act
    const { call: after, effects } = apply(call, { type: 'reject', ...by('bob', BOB_PAD, T0 + 1_000) });

    // Assess
    expect(eventsTo(effects, BOB_PHONE.connectionId)).toEqual([notConnected('OtherDeviceReject', 'bob')]);
    expect(eventsTo(effects, BOB_WEB.connectionId)).toEqual([notConnected('OtherDeviceReject', 'bob')]);
    expect(eventsTo(effects, BOB_PAD.connectionId)).toEqual([notConnected('Reject', 'bob')]);
    expect(eventsTo(effects, ALICE.connectionId)).toEqual([{ event: 'onUserReject', data: { userId: 'bob' } }, notConnected('Reject', 'alice')]);
    expect(recordsOf(effects).map((r) => r.CallResult)).toEqual(['Reject']);
    expect(after.status).toBe('ended');
  });
});
