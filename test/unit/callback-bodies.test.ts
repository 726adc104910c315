import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyCommand, startCall, toRecord } from '../../lib/calls/index.ts';
import type { Call, CallbackEffect, CallCommand, DeviceRef, MemberAction, Platform, StartCommand } from '../../lib/calls/index.ts';
import { legacyCallbacks, legacyCommandsOf, legacyPlatformOf } from '../../lib/callbacks/legacy-bodies.ts';
import { offlinePushBody, v4Callback } from '../../lib/callbacks/v4-bodies.ts';

// The callback bodies built from calls scripted through the real call machine: v4 bodies have exactly
// the documented fixtures' shapes (plus EventId, Seq and CallInfo.MediaType, DESIGN.md), legacy bodies
// the B.4/B.5 field sets, and every member action maps to the legacy commands of callbacks.md B.2.

const T0 = 1_740_464_128_807; // not on a second boundary, so ms-vs-s mistakes show
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../fixtures/spec/callback.${name}.request.json`, import.meta.url), 'utf8'));
const dev = (id: string, platform: Platform = 'Android', ip = `198.51.100.${id.length}`): DeviceRef => ({ connectionId: id, loginId: `login-${id}`, deviceId: `device-${id}`, platform, ip });
const ALICE = dev('alice-1', 'iOS', '198.51.100.1');
const BOB = dev('bob-1', 'Windows', '198.51.100.2');
const D = (id: string) => dev(`${id}-1`);

type Logged = { call: Call; effect: CallbackEffect };

/** A call driven through the machine, keeping every callback effect with the call its transition returned. */
class Script {
  call!: Call;
  readonly log: Logged[] = [];
  constructor(invitees: (string | { busy: string })[], over: Partial<StartCommand> = {}) {
    const infos = invitees.map((i) => (typeof i === 'string' ? { userId: i, ringTargets: [D(i)], busy: false } : { userId: i.busy, ringTargets: [], busy: true }));
    this.keep(startCall({ type: 'start', now: T0, callId: 'call-1', sdkAppId: 1400000001, caller: { userId: 'alice', device: ALICE }, invitees: infos, mediaType: 'Audio', callType: invitees.length > 1 ? 'MultiCall' : 'SingleCall', roomId: 123456, roomIdType: 1, timeoutSec: 30, userData: '', chatGroupId: '', ...over }));
  }
  /** A member acts from her device at T0 + `after` ms. */
  by(userId: string, after: number, cmd: Record<string, unknown> & { type: string }): this {
    const device = userId === 'alice' ? ALICE : userId === 'bob' ? BOB : D(userId);
    return this.apply({ ...cmd, userId, device, now: T0 + after } as CallCommand);
  }
  apply(cmd: CallCommand): this {
    return this.keep(applyCommand(this.call, cmd));
  }
  private keep(t: { call: Call; effects: readonly { kind: string }[] }): this {
    this.call = t.call;
    for (const e of t.effects) if (e.kind === 'callback') this.log.push({ call: t.call, effect: e as CallbackEffect });
    return this;
  }
  /** Legacy commands per callback effect, in order. */
  legacy(): string[][] {
    return this.log.map(({ call, effect }) => legacyCommandsOf(call, effect));
  }
}

const answered = () => new Script(['bob']).by('bob', 4_321, { type: 'accept' });
const SCENARIOS = {
  answeredThenHungUp: () => answered().by('bob', 65_000, { type: 'hangup' }),
  callerCancels: () => new Script(['bob']).by('alice', 5_000, { type: 'hangup' }),
  calleeRejects: () => new Script(['bob']).by('bob', 3_000, { type: 'reject' }),
  notAnswered: () => new Script(['bob']).apply({ type: 'timeout', now: T0 + 30_000 }),
  busy: () => new Script([{ busy: 'bob' }]),
  offline: () => answered().apply({ type: 'memberOffline', now: T0 + 90_000, userId: 'bob', connectionId: BOB.connectionId }),
  interrupted: () => answered().by('alice', 20_000, { type: 'hangup', reason: 'Interrupt' }),
  group: () =>
    new Script(['bob', 'carol', { busy: 'dave' }])
      .by('bob', 2_000, { type: 'accept' })
      .by('alice', 3_000, { type: 'invite', invitees: [{ userId: 'erin', ringTargets: [D('erin')], busy: false }, { userId: 'frank', ringTargets: [], busy: true }], timeoutSec: 30 })
      .by('erin', 4_000, { type: 'join', invitedOnly: false })
      .by('gina', 5_000, { type: 'join', invitedOnly: false })
      .apply({ type: 'timeout', now: T0 + 30_000 })
      .by('bob', 40_000, { type: 'hangup' })
      .apply({ type: 'endByServer', now: T0 + 50_000, by: 'admin' }),
  groupAllReject: () => new Script(['bob', 'carol']).by('bob', 1_000, { type: 'reject' }).by('carol', 2_000, { type: 'reject' }),
  groupEndsWithInviteeRinging: () => new Script(['bob', 'carol']).by('bob', 1_000, { type: 'accept' }).by('alice', 2_000, { type: 'hangup' }).by('bob', 3_000, { type: 'hangup' }),
};
const allLogged = (): Logged[] => Object.values(SCENARIOS).flatMap((s) => s().log);

const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
/** Where `actual` differs from the fixture's shape (keys and JSON types, recursively; arrays against their first element). */
function shapeDiff(actual: unknown, expected: unknown, extras: readonly string[] = [], path = '$'): string[] {
  if (kind(actual) !== kind(expected)) return [`${path}: ${kind(actual)} instead of ${kind(expected)}`];
  if (Array.isArray(actual)) return actual.flatMap((a, i) => shapeDiff(a, (expected as unknown[])[0], extras, `${path}[]`).map((d) => d.replace('[]', `[${i}]`)));
  if (kind(actual) !== 'object') return [];
  const [a, e] = [actual as Record<string, unknown>, expected as Record<string, unknown>];
  const missing = Object.keys(e).filter((k) => !(k in a)).map((k) => `${path}.${k}: missing`);
  const extra = Object.keys(a).filter((k) => !(k in e) && !extras.includes(`${path}.${k}`)).map((k) => `${path}.${k}: not in the fixture`);
  return [...missing, ...extra, ...Object.keys(e).filter((k) => k in a).flatMap((k) => shapeDiff(a[k], e[k], extras, `${path}.${k}`))];
}

describe('v4 callback bodies', () => {
  it('are compared with a shape check that notices wrong types, missing and extra keys', () => {
    const expected = { A: '', B: [{ C: 1 }] };
    expect(shapeDiff({ A: 1, B: [{ C: 1 }, { D: 1 }], E: 0 }, expected)).toEqual(['$.E: not in the fixture', '$.A: number instead of string', '$.B[1].C: missing', '$.B[1].D: not in the fixture']);
  });

  it('have exactly the fixture shapes for every callback of scripted 1v1 and group calls (plus EventId, Seq, CallInfo.MediaType)', () => {
    const extras = ['$.EventId', '$.Seq', '$.CallInfo.MediaType'];
    const logged = allLogged();
    expect(new Set(logged.map((l) => l.effect.command))).toEqual(new Set(['Call.CallbackAfterStartCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackAfterEndCall']));
    for (const { call, effect } of logged) {
      const { body } = v4Callback(call, effect, 'evt');
      expect(shapeDiff(body, fixture(`v4.${effect.command}`), extras), `${effect.command} seq ${effect.seq}`).toEqual([]);
    }
  });

  it('describe a 1v1 call from start to hangup with the documented values, ms event times and the acting device', () => {
    const { log, call } = SCENARIOS.answeredThenHungUp();
    const [start, accept, hangup, end] = log.map((l, i) => v4Callback(l.call, l.effect, `evt-${i}`));
    expect(start?.query).toEqual({ SdkAppid: '1400000001', CallbackCommand: 'Call.CallbackAfterStartCall', contenttype: 'json', ClientIP: '198.51.100.1', OptPlatform: 'iOS' });
    expect(start?.body).toEqual({
      CallbackCommand: 'Call.CallbackAfterStartCall',
      CallInfo: { CallId: 'call-1', CallMediaType: 'Audio', MediaType: 'Audio', ChatGroupId: '', RoomId: '123456', RoomIdType: 1 },
      UserList: [{ User_Account: 'alice', Status: 'Calling' }, { User_Account: 'bob', Status: 'Waiting' }],
      EventTime: T0,
      EventId: 'evt-0',
      Seq: 1,
    });
    expect(accept?.query).toMatchObject({ ClientIP: '198.51.100.2', OptPlatform: 'Windows' });
    expect(accept?.body).toEqual({
      CallbackCommand: 'Call.CallbackAfterMemberChanged',
      CallId: 'call-1',
      UserList: [{ User_Account: 'alice', Status: 'Calling' }, { User_Account: 'bob', Status: 'Calling' }],
      ChangedUserList: [{ User_Account: 'bob', ActionType: 'Accept' }],
      EventTime: T0 + 4_321,
      EventId: 'evt-1',
      Seq: 2,
    });
    expect(hangup?.body).toMatchObject({ ChangedUserList: [{ User_Account: 'bob', ActionType: 'Hangup' }], Seq: 3 });
    expect(end?.body).toEqual({ CallbackCommand: 'Call.CallbackAfterEndCall', CallRecord: toRecord(call), EventTime: T0 + 65_000, EventId: 'evt-3', Seq: 4 });
    expect(end?.body.CallRecord).toMatchObject({ CallResult: 'NormalEnd', CalleeList_Account: ['alice', 'bob'], RoomId: '123456' });
  });

  it('report server-caused events (ring timeout) with OptPlatform Server and an empty ClientIP', () => {
    const { log } = SCENARIOS.notAnswered();
    for (const { call, effect } of log.slice(1)) expect(v4Callback(call, effect, 'e').query).toMatchObject({ ClientIP: '', OptPlatform: 'Server' });
  });

  it('list the caller and the non-busy invitees at start, even when every invitee was busy and the call ended at once', () => {
    const [start] = SCENARIOS.busy().log;
    expect(v4Callback(start!.call, start!.effect, 'e').body.UserList).toEqual([{ User_Account: 'alice', Status: 'Calling' }]);
    const [groupStart] = SCENARIOS.group().log;
    expect(v4Callback(groupStart!.call, groupStart!.effect, 'e').body.UserList).toEqual(['alice', 'bob', 'carol'].map((u, i) => ({ User_Account: u, Status: i ? 'Waiting' : 'Calling' })));
  });

  it('builds the offline-push body with the invitation and its offlinePushInfo ({} when none was given)', () => {
    const info = { title: 'Alice', desc: 'is calling you', ios: { sound: 'ring.caf' } };
    const withInfo = new Script(['bob'], { offlinePushInfo: info, roomId: 'room-x', roomIdType: 2 }).call;
    expect(offlinePushBody(withInfo, 'bob', 'Invite', 'evt-9', 7, T0)).toEqual({
      CallbackCommand: 'Call.CallbackOfflinePush',
      CallId: 'call-1',
      Caller_Account: 'alice',
      To_Account: 'bob',
      MediaType: 'Audio',
      CallType: 'SingleCall',
      RoomId: 'room-x',
      OfflinePushInfo: info,
      Kind: 'Invite',
      EventId: 'evt-9',
      Seq: 7,
      EventTime: T0,
    });
    expect(offlinePushBody(new Script(['bob']).call, 'bob', 'Cancel', 'e', 1, T0)).toMatchObject({ OfflinePushInfo: {}, Kind: 'Cancel', RoomId: '123456' });
  });
});

describe('legacy callback bodies', () => {
  it('have the B.4 status and B.5 event field sets and types (plus EventId, Seq)', () => {
    const extras = ['$.EventId', '$.Seq'];
    const requests = allLogged().flatMap(({ call, effect }) => legacyCallbacks(call, effect, 'evt'));
    const status = requests.filter((r) => !('Event' in r.body));
    expect(status.length).toBeGreaterThan(5);
    for (const r of status) expect(shapeDiff(r.body, fixture('legacy.status'), extras), r.command).toEqual([]);
    for (const r of requests.filter((x) => 'Event' in x.body)) expect(shapeDiff(r.body, fixture('legacy.event'), extras), r.command).toEqual([]);
  });

  it('fill the values as documented: lower-case media, single/group, seconds, Event without its role prefix, CallResult only at the end', () => {
    const { log } = SCENARIOS.answeredThenHungUp();
    const [accepted, callerSide] = legacyCallbacks(log[1]!.call, log[1]!.effect, 'evt-1');
    expect(accepted?.query).toEqual({ sdkappid: '1400000001', command: 'callee_accept_call', contenttype: 'json', clientip: '198.51.100.2', optplatform: 'Web' });
    const common = { RoomId: '123456', TotalNum: 2, MediaType: 'audio', CallType: 'single', CallId: 'call-1', EventTime: Math.floor((T0 + 4_321) / 1000), StartCallTs: Math.floor(T0 / 1000), AcceptTs: Math.floor((T0 + 4_321) / 1000), EndTs: 0, Seq: 2 };
    expect(accepted?.body).toEqual({ UserId: 'bob', Role: 'callee', Event: 'accept_call', CallResult: '', EventId: 'evt-1.0', ...common });
    expect(callerSide?.body).toEqual({ UserId: 'alice', Role: 'caller', Event: 'call_accepted', CallResult: '', EventId: 'evt-1.1', ...common });
    const [status] = legacyCallbacks(log[3]!.call, log[3]!.effect, 'evt-3');
    expect(status?.body).toMatchObject({ UserId: 'alice', Role: 'caller', CallResult: 'normal_end', EndTs: Math.floor((T0 + 65_000) / 1000) });
    expect(status?.body).not.toHaveProperty('Event');
    expect(legacyCallbacks(log[2]!.call, log[2]!.effect, 'evt-2').map((r) => r.body.CallResult)).toEqual(['normal_end', 'normal_end']);
    const groupStart = SCENARIOS.group().log[0]!;
    expect(legacyCallbacks(groupStart.call, groupStart.effect, 'g').map((r) => [r.body.UserId, r.body.Role, r.body.TotalNum, r.body.CallType])).toEqual([
      ['alice', 'caller', 3, 'group'], // the busy invitee (dave) never took part
      ['bob', 'callee', 3, 'group'],
      ['carol', 'callee', 3, 'group'],
      ['alice', 'caller', 3, 'group'],
    ]);
  });

  it('number EventIds stably (same inputs, same ids) and map platforms to iOS/Android/Web/miniProgram or Server', () => {
    const { log } = SCENARIOS.group();
    const again = SCENARIOS.group().log;
    log.forEach(({ call, effect }, i) => expect(legacyCallbacks(call, effect, `e${i}`)).toEqual(legacyCallbacks(again[i]!.call, again[i]!.effect, `e${i}`)));
    expect(legacyCallbacks(log[0]!.call, log[0]!.effect, 'b').map((r) => r.body.EventId)).toEqual(['b.0', 'b.1', 'b.2', 'b.3']);
    const platforms: [Platform | undefined, string][] = [['iOS', 'iOS'], ['Android', 'Android'], ['miniProgram', 'miniProgram'], ['Web', 'Web'], ['Windows', 'Web'], ['Mac', 'Web'], ['Linux', 'Web'], ['Flutter', 'Web'], ['Unknown', 'Web'], [undefined, 'Server']];
    for (const [p, expected] of platforms) expect(legacyPlatformOf(p && dev('x', p))).toBe(expected);
  });
});

describe('legacy commands for every member action and result', () => {
  const EXPECTED: Record<keyof typeof SCENARIOS, string[][]> = {
    answeredThenHungUp: [['caller_start_call', 'callee_receive_call'], ['callee_accept_call', 'caller_call_accepted'], ['callee_call_end', 'caller_call_end'], ['normal_end']],
    callerCancels: [['caller_start_call', 'callee_receive_call'], ['callee_call_canceled', 'caller_cancel_call'], ['cancel']],
    calleeRejects: [['caller_start_call', 'callee_receive_call'], ['callee_reject_call', 'caller_call_rejected'], ['reject']],
    notAnswered: [['caller_start_call', 'callee_receive_call'], ['callee_not_answer_call', 'caller_call_missed'], ['not_answer']],
    busy: [['caller_start_call', 'caller_call_busy'], ['call_busy']],
    offline: [['caller_start_call', 'callee_receive_call'], ['callee_accept_call', 'caller_call_accepted'], ['callee_call_interrupted', 'caller_call_interrupted'], ['interrupt']],
    interrupted: [['caller_start_call', 'callee_receive_call'], ['callee_accept_call', 'caller_call_accepted'], ['caller_call_interrupted', 'callee_call_interrupted'], ['interrupt']],
    group: [
      ['caller_start_call', 'callee_receive_call', 'callee_receive_call', 'caller_call_busy'],
      ['callee_accept_call', 'caller_call_accepted'],
      ['invite_user', 'callee_receive_call', 'invite_user', 'caller_call_busy'],
      ['join_in_group_call'],
      ['join_in_group_call'],
      ['callee_not_answer_call', 'caller_call_missed'],
      ['callee_call_end'],
      ['caller_call_end', 'callee_call_end', 'callee_call_end', 'normal_end'],
    ],
    groupAllReject: [['caller_start_call', 'callee_receive_call', 'callee_receive_call'], ['callee_reject_call', 'caller_call_rejected'], ['callee_reject_call', 'caller_call_rejected'], ['normal_end']],
    groupEndsWithInviteeRinging: [['caller_start_call', 'callee_receive_call', 'callee_receive_call'], ['callee_accept_call', 'caller_call_accepted'], ['caller_call_end'], ['callee_call_end'], ['callee_call_canceled'], ['normal_end']],
  };

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`maps the ${name} scenario to the documented commands`, () => {
      expect(SCENARIOS[name as keyof typeof SCENARIOS]().legacy()).toEqual(expected);
    });
  }

  it('covers every MemberAction in those scenarios', () => {
    const actions = new Set(allLogged().flatMap(({ effect }) => (effect.command === 'Call.CallbackAfterMemberChanged' ? effect.changes.map((c) => c.action) : [])));
    const all: MemberAction[] = ['Accept', 'Reject', 'NotAnswer', 'Hangup', 'Join', 'Offline', 'Invite', 'Cancel_Invite'];
    expect([...actions].sort()).toEqual([...all].sort());
  });

  it('reports a group call as normal_end whatever its v4 result, and a 1v1 Offline as interrupt', () => {
    const statusOf = (script: Script) => {
      const last = script.log.at(-1)!;
      return [v4Callback(last.call, last.effect, 'e').body.CallRecord, legacyCallbacks(last.call, last.effect, 'e').at(-1)?.body.CallResult];
    };
    expect(statusOf(SCENARIOS.groupAllReject())).toEqual([expect.objectContaining({ CallResult: 'Reject' }), 'normal_end']);
    expect(statusOf(SCENARIOS.offline())).toEqual([expect.objectContaining({ CallResult: 'Offline' }), 'interrupt']);
  });
});
