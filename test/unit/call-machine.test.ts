import { describe, expect, it } from 'vitest';
import { applyCommand, CallRuleError, InvitationHandledError, RefusedInStateError, startCall } from '../../lib/calls/index.ts';
import type { CallCommand, CallRecord, DeviceRef, InviteeInfo, Transition } from '../../lib/calls/index.ts';
import { applyFrozen as apply, callbacksOf, device, eventsTo, frozen, recordsOf, refusal, releasedLines, sendsOf, startCommand, recordFor, T0 } from '../support/machine-model.ts';

// Example-based tests of the pure call machine: the one-to-one scenarios of client-api.md §4 with the exact
// events each device gets (DESIGN.md "Contradictions settled" for onCallNotConnected.userId), the records,
// and the refusals. Every call the machine returns is deep-frozen before it is used again, so a machine
// that mutated its input would throw here.

const ALICE = device('alice-1'); // the caller's device
const BOB_PHONE = device('bob-phone');
const BOB_WEB = device('bob-web');
const BOB_PAD = device('bob-pad');
const DEADLINE = T0 + 30_000;
const ROOM = { roomId: 123456, roomIdType: 1 };
const seconds = (ms: number) => Math.floor(ms / 1000);

/** alice calls bob (1v1, Video, 30 s), who rings on `ringTargets`. */
function aliceCallsBob(ringTargets: DeviceRef[] = [BOB_PHONE], busy = false): Transition {
  return frozen(startCall(startCommand([{ userId: 'bob', ringTargets, busy }])));
}

/** alice calls several invitees in a group call. */
function aliceCallsGroup(invitees: InviteeInfo[]): Transition {
  return frozen(startCall(startCommand(invitees)));
}

const by = (userId: string, d: DeviceRef, now: number) => ({ userId, device: d, now });

describe('call machine: one-to-one calls', () => {
  it('rings every ring target of the callee once, tells the caller nothing yet, and schedules the ring timeout', () => {
    // Act
    const { call, effects } = aliceCallsBob([BOB_PHONE, BOB_WEB]);

    // Assess
    const received = {
      event: 'onCallReceived',
      data: { callerId: 'alice', calleeIdList: ['bob'], mediaType: 'Video', scene: 'SINGLE_CALL', ...ROOM, userData: '', chatGroupId: '', timeout: 30, ringDeadline: DEADLINE, remainingMs: 30_000 },
    };
    expect(eventsTo(effects, BOB_PHONE.connectionId)).toEqual([received]);
    expect(eventsTo(effects, BOB_WEB.connectionId)).toEqual([received]);
    expect(eventsTo(effects, ALICE.connectionId)).toEqual([]);
    expect(sendsOf(effects).map((e) => e.seq)).toEqual([1]);
    expect(effects.filter((e) => e.kind === 'timer')).toEqual([{ kind: 'timer', at: DEADLINE }]);
    expect(callbacksOf(effects)).toEqual([{ command: 'Call.CallbackAfterStartCall', seq: 1 }]);
    expect(call.status).toBe('calling');
    expect(call.members.map((m) => [m.userId, m.state])).toEqual([['alice', 'joined'], ['bob', 'ringing']]);
  });

  it('connects on accept (onCallBegin to both sides) and on hangup gives both onCallEnd with the whole seconds between accept and hangup', () => {
    // Prepare
    const acceptAt = T0 + 4_321;
    const hangupAt = acceptAt + 65_400;
    const { call } = aliceCallsBob();

    // Act
    const accepted = apply(call, { type: 'accept', ...by('bob', BOB_PHONE, acceptAt) });
    const hungUp = apply(accepted.call, { type: 'hangup', ...by('bob', BOB_PHONE, hangupAt) });

    // Assess
    expect(eventsTo(accepted.effects, ALICE.connectionId)).toEqual([{ event: 'onCallBegin', data: { mediaType: 'Video', ...ROOM, role: 'Caller' } }]);
    expect(eventsTo(accepted.effects, BOB_PHONE.connectionId)).toEqual([{ event: 'onCallBegin', data: { mediaType: 'Video', ...ROOM, role: 'Called' } }]);
    expect(accepted.call.status).toBe('connected');
    const end = { mediaType: 'Video', reason: 'Hangup', userId: 'bob', totalTime: 65 };
    expect(eventsTo(hungUp.effects, BOB_PHONE.connectionId)).toEqual([{ event: 'onCallEnd', data: { ...end, role: 'Called' } }]);
    expect(eventsTo(hungUp.effects, ALICE.connectionId)).toEqual([{ event: 'onCallEnd', data: { ...end, role: 'Caller' } }]);
    expect(sendsOf([...accepted.effects, ...hungUp.effects]).map((e) => e.seq)).toEqual([2, 3, 4, 5]);
    expect(recordsOf(hungUp.effects)).toEqual([recordFor({ AcceptTime: seconds(acceptAt), EndTime: seconds(hangupAt), CallResult: 'NormalEnd' })]);
    expect(releasedLines(hungUp.effects).sort()).toEqual(['alice', 'bob']);
    expect(callbacksOf([...accepted.effects, ...hungUp.effects])).toEqual([
      { command: 'Call.CallbackAfterMemberChanged', seq: 2, changes: [{ userId: 'bob', action: 'Accept' }] },
      { command: 'Call.CallbackAfterMemberChanged', seq: 3, changes: [{ userId: 'bob', action: 'Hangup' }] },
      { command: 'Call.CallbackAfterEndCall', seq: 4 },
    ]);
    expect(hungUp.call.status).toBe('ended');
  });

  it('names the caller as the one who ended it when she hangs up a connected call', () => {
    // Prepare
    const { call } = aliceCallsBob();
    const accepted = apply(call, { type: 'accept', ...by('bob', BOB_PHONE, T0 + 1_000) });

    // Act
    const { effects } = apply(accepted.call, { type: 'hangup', ...by('alice', ALICE, T0 + 11_600) });

    // Assess
    const end = { mediaType: 'Video', reason: 'Hangup', userId: 'alice', totalTime: 11 };
    expect(eventsTo(effects, ALICE.connectionId)).toEqual([{ event: 'onCallEnd', data: { ...end, role: 'Caller' } }]);
    expect(eventsTo(effects, BOB_PHONE.connectionId)).toEqual([{ event: 'onCallEnd', data: { ...end, role: 'Called' } }]);
  });

  it('on reject, tells the callee onCallNotConnected (his id) and the caller onUserReject then onCallNotConnected (her id); records Reject', () => {
    // Prepare
    const { call } = aliceCallsBob();

    // Act
    const { call: after, effects } = apply(call, { type: 'reject', ...by('bob', BOB_PHONE, T0 + 3_000) });

    // Assess
    expect(eventsTo(effects, BOB_PHONE.connectionId)).toEqual([{ event: 'onCallNotConnected', data: { mediaType: 'Video', reason: 'Reject', userId: 'bob' } }]);
    expect(eventsTo(effects, ALICE.connectionId)).toEqual([
      { event: 'onUserReject', data: { userId: 'bob' } },
      { event: 'onCallNotConnected', data: { mediaType: 'Video', reason: 'Reject', userId: 'alice' } },
    ]);
    expect(recordsOf(effects)).toEqual([recordFor({ CallResult: 'Reject', EndTime: seconds(T0 + 3_000), AcceptTime: 0 })]);
    expect(releasedLines(effects).sort()).toEqual(['alice', 'bob']);
    expect(after.status).toBe('ended');
  });

  it('on cancel (caller hangs up before an answer), tells both sides onCallNotConnected Canceled with the caller id; records Cancel', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE, BOB_WEB]);

    // Act
    const { effects } = apply(call, { type: 'hangup', ...by('alice', ALICE, T0 + 2_000) });

    // Assess
    const canceled = { event: 'onCallNotConnected', data: { mediaType: 'Video', reason: 'Canceled', userId: 'alice' } };
    expect(eventsTo(effects, BOB_PHONE.connectionId)).toEqual([canceled]);
    expect(eventsTo(effects, BOB_WEB.connectionId)).toEqual([canceled]);
    expect(eventsTo(effects, ALICE.connectionId)).toEqual([canceled]);
    expect(recordsOf(effects)).toEqual([recordFor({ CallResult: 'Cancel', EndTime: seconds(T0 + 2_000) })]);
    expect(callbacksOf(effects)).toEqual([
      { command: 'Call.CallbackAfterMemberChanged', seq: 2, changes: [{ userId: 'bob', action: 'Cancel_Invite' }] },
      { command: 'Call.CallbackAfterEndCall', seq: 3 },
    ]);
  });

  it('on ring timeout, tells the callee onCallNotConnected (his id) and the caller onUserNoResponse then onCallNotConnected (her id); records NotAnswer', () => {
    // Prepare
    const { call } = aliceCallsBob();

    // Act
    const { effects } = apply(call, { type: 'timeout', now: DEADLINE });

    // Assess
    expect(eventsTo(effects, BOB_PHONE.connectionId)).toEqual([{ event: 'onCallNotConnected', data: { mediaType: 'Video', reason: 'NoResponse', userId: 'bob' } }]);
    expect(eventsTo(effects, ALICE.connectionId)).toEqual([
      { event: 'onUserNoResponse', data: { userId: 'bob' } },
      { event: 'onCallNotConnected', data: { mediaType: 'Video', reason: 'NoResponse', userId: 'alice' } },
    ]);
    expect(recordsOf(effects)).toEqual([recordFor({ CallResult: 'NotAnswer', EndTime: seconds(DEADLINE), AcceptTime: 0 })]);
    expect(callbacksOf(effects)).toEqual([
      { command: 'Call.CallbackAfterMemberChanged', seq: 2, changes: [{ userId: 'bob', action: 'NotAnswer' }] },
      { command: 'Call.CallbackAfterEndCall', seq: 3 },
    ]);
  });

  it('ends a call to a busy callee at once (CallBusy): the caller gets onUserLineBusy then onCallNotConnected (LineBusy, her id), the callee nothing', () => {
    // Act
    const { call, effects } = aliceCallsBob([BOB_PHONE], true);

    // Assess
    expect(eventsTo(effects, ALICE.connectionId)).toEqual([
      { event: 'onUserLineBusy', data: { userId: 'bob' } },
      { event: 'onCallNotConnected', data: { mediaType: 'Video', reason: 'LineBusy', userId: 'alice' } },
    ]);
    expect(eventsTo(effects, BOB_PHONE.connectionId)).toEqual([]);
    expect(effects.some((e) => e.kind === 'timer')).toBe(false);
    expect(releasedLines(effects)).toEqual(['alice']); // bob's line belongs to his other call
    expect(recordsOf(effects)).toEqual([recordFor({ CallResult: 'CallBusy' })]);
    expect(call.status).toBe('ended');
  });

  it('gives the second device 8010 when another device of the same user already accepted, after telling it OtherDeviceAccepted', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE, BOB_WEB]);
    const accepted = apply(call, { type: 'accept', ...by('bob', BOB_PHONE, T0 + 1_000) });

    // Act
    const error = refusal(accepted.call, { type: 'accept', ...by('bob', BOB_WEB, T0 + 1_200) });

    // Assess
    expect(eventsTo(accepted.effects, BOB_WEB.connectionId)).toEqual([{ event: 'onCallNotConnected', data: { mediaType: 'Video', reason: 'OtherDeviceAccepted', userId: 'bob' } }]);
    expect(error).toBeInstanceOf(InvitationHandledError);
    expect(error.code).toBe(8010);
    expect(accepted.call.members[1]?.device).toEqual(BOB_PHONE);
  });

  it('rejects for the user on every device: the other ringing devices get OtherDeviceReject, the rejecting one Reject', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE, BOB_WEB, BOB_PAD]);

    // Act
    const { effects } = apply(call, { type: 'reject', ...by('bob', BOB_WEB, T0 + 1_000) });

    // Assess
    const other = { event: 'onCallNotConnected', data: { mediaType: 'Video', reason: 'OtherDeviceReject', userId: 'bob' } };
    expect(eventsTo(effects, BOB_PHONE.connectionId)).toEqual([other]);
    expect(eventsTo(effects, BOB_PAD.connectionId)).toEqual([other]);
    expect(eventsTo(effects, BOB_WEB.connectionId)).toEqual([{ event: 'onCallNotConnected', data: { mediaType: 'Video', reason: 'Reject', userId: 'bob' } }]);
  });

  it('silences only the ignoring device: it hears nothing more, the other devices keep ringing until the deadline', () => {
    // Prepare
    const { call } = aliceCallsBob([BOB_PHONE, BOB_WEB]);

    // Act
    const ignored = apply(call, { type: 'ignore', ...by('bob', BOB_PHONE, T0 + 1_000) });
    const timedOut = apply(ignored.call, { type: 'timeout', now: DEADLINE });

    // Assess
    expect(ignored.effects).toEqual([]);
    expect(ignored.call.members[1]).toMatchObject({ state: 'ringing', ringing: [BOB_WEB] });
    expect(eventsTo(timedOut.effects, BOB_PHONE.connectionId)).toEqual([]);
    expect(eventsTo(timedOut.effects, BOB_WEB.connectionId)).toEqual([{ event: 'onCallNotConnected', data: { mediaType: 'Video', reason: 'NoResponse', userId: 'bob' } }]);
  });

  it('changes nothing on a timeout before the deadline, a repeated one, or one after the callee answered', () => {
    // Prepare
    const { call } = aliceCallsBob();
    const ended = apply(call, { type: 'timeout', now: DEADLINE }).call;
    const connected = apply(call, { type: 'accept', ...by('bob', BOB_PHONE, T0 + 1_000) }).call;

    // Act
    const early = apply(call, { type: 'timeout', now: DEADLINE - 1 });
    const repeated = apply(ended, { type: 'timeout', now: DEADLINE });
    const afterAnswer = apply(connected, { type: 'timeout', now: DEADLINE + 5_000 });

    // Assess
    expect(early).toEqual({ call, effects: [] });
    expect(repeated).toEqual({ call: ended, effects: [] });
    expect(afterAnswer).toEqual({ call: connected, effects: [] });
  });

  it('refuses a hangup after the call ended with 8010', () => {
    // Prepare
    const { call } = aliceCallsBob();
    const ended = apply(apply(call, { type: 'accept', ...by('bob', BOB_PHONE, T0 + 1_000) }).call, { type: 'hangup', ...by('bob', BOB_PHONE, T0 + 9_000) }).call;

    // Act
    const errors = [refusal(ended, { type: 'hangup', ...by('alice', ALICE, T0 + 9_500) }), refusal(ended, { type: 'hangup', ...by('bob', BOB_PHONE, T0 + 9_500) })];

    // Assess
    expect(errors.map((e) => e.code)).toEqual([8010, 8010]);
  });

  it('refuses a user who is not a member with 8010, whatever she tries', () => {
    // Prepare
    const { call } = aliceCallsBob();
    const mallory = by('mallory', device('mallory-1'), T0 + 1_000);

    // Act
    const codes = (['accept', 'reject', 'ignore', 'hangup'] as const).map((type) => refusal(call, { type, ...mallory }).code);

    // Assess
    expect(codes).toEqual([8010, 8010, 8010, 8010]);
  });

  it('refuses the caller accepting, rejecting or ignoring her own call with -1203', () => {
    // Prepare
    const { call } = aliceCallsBob();

    // Act
    const errors = (['accept', 'reject', 'ignore'] as const).map((type) => refusal(call, { type, ...by('alice', ALICE, T0 + 1_000) }));

    // Assess
    for (const e of errors) expect(e).toBeInstanceOf(RefusedInStateError);
    expect(errors.map((e) => e.code)).toEqual([-1203, -1203, -1203]);
  });

  it('never modifies the call it is given, whether it applies or refuses the command', () => {
    // Prepare: an unfrozen call, compared with a deep copy after each command.
    const { call } = startCall(startCommand([{ userId: 'bob', ringTargets: [BOB_PHONE, BOB_WEB], busy: false }]));
    const copy = structuredClone(call);
    const commands: CallCommand[] = [
      { type: 'ignore', ...by('bob', BOB_WEB, T0 + 500) },
      { type: 'deviceGone', now: T0 + 600, connectionId: BOB_PHONE.connectionId },
      { type: 'deviceGone', now: T0 + 600, connectionId: BOB_WEB.connectionId, notifyReason: 'Unknown' },
      { type: 'deviceOnline', ...by('bob', BOB_PAD, T0 + 700) },
      { type: 'deviceOnline', ...by('alice', { ...ALICE, connectionId: 'alice-2' }, T0 + 800) },
      { type: 'memberOffline', now: T0 + 900, userId: 'alice', connectionId: ALICE.connectionId },
      { type: 'accept', ...by('bob', BOB_PHONE, T0 + 1_000) },
      { type: 'reject', ...by('bob', BOB_PHONE, T0 + 1_000) },
      { type: 'accept', ...by('alice', ALICE, T0 + 1_000) },
      { type: 'hangup', ...by('alice', ALICE, T0 + 1_000) },
      { type: 'timeout', now: DEADLINE },
    ];

    // Act
    for (const cmd of commands) {
      try {
        applyCommand(call, cmd);
      } catch (err) {
        if (!(err instanceof CallRuleError)) throw err;
      }
    }

    // Assess
    expect(call).toStrictEqual(copy);
  });
});

describe('call machine: group calls (regressions found by the model-based tests)', () => {
  const carol = device('carol-1');

  it('never keeps a call live with one connected member and nobody ringing (carol accepts after everyone else left)', () => {
    // Prepare: alice calls bob and carol; bob accepts, then alice and bob hang up while carol still rings.
    let { call } = aliceCallsGroup([
      { userId: 'bob', ringTargets: [BOB_PHONE], busy: false },
      { userId: 'carol', ringTargets: [carol], busy: false },
    ]);
    const steps: CallCommand[] = [
      { type: 'accept', ...by('bob', BOB_PHONE, T0 + 1_000) },
      { type: 'hangup', ...by('alice', ALICE, T0 + 2_000) },
      { type: 'hangup', ...by('bob', BOB_PHONE, T0 + 3_000) },
      { type: 'accept', ...by('carol', carol, T0 + 4_000) },
    ];
    const records: CallRecord[] = [];

    // Act: apply each step (a refusal keeps the call as it was).
    const states: string[] = [];
    for (const cmd of steps) {
      try {
        const t = apply(call, cmd);
        call = t.call;
        records.push(...recordsOf(t.effects));
      } catch (err) {
        if (!(err instanceof CallRuleError)) throw err;
      }
      const joined = call.members.filter((m) => m.state === 'joined').length;
      const ringing = call.members.filter((m) => m.state === 'ringing').length;
      states.push(call.status === 'ended' || joined >= 2 || ringing >= 1 ? 'ok' : `live with ${joined} joined, ${ringing} ringing after ${cmd.type} by ${'userId' in cmd ? cmd.userId : ''}`);
    }

    // Assess: DESIGN.md "A call ends when at most one member is connected and nobody is still ringing".
    expect(states).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(call.status).toBe('ended');
    expect(records).toHaveLength(1);
  });

  it('records Cancel when the caller cancels in the same millisecond as another invitee rejects', () => {
    // Prepare: alice calls bob and carol; carol rejects; at the same millisecond alice cancels (bob still rings).
    const { call } = aliceCallsGroup([
      { userId: 'bob', ringTargets: [BOB_PHONE], busy: false },
      { userId: 'carol', ringTargets: [carol], busy: false },
    ]);
    const rejected = apply(call, { type: 'reject', ...by('carol', carol, T0 + 1_000) });

    // Act
    const { effects } = apply(rejected.call, { type: 'hangup', ...by('alice', ALICE, T0 + 1_000) });

    // Assess: the last outcome is bob's invitation being cancelled (DESIGN.md "Members and results"),
    // exactly as when the cancel comes 1 ms later.
    expect(recordsOf(effects).map((r) => r.CallResult)).toEqual(['Cancel']);
  });
});
