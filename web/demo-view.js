// The demo's state and how it is shown: the event log, the ring, the current call and its members.
import { CallEndReason, MediaType } from '/client.js';

export const $ = (id) => /** @type {any} */ (document.getElementById(id));
const MAX_LOG = 200;

/** This tab's state: its engine and user, the call it takes part in, the invitation ringing on it. */
export const s = {
  /** @type {import('/client.js').CallEngine | undefined} */
  engine: undefined,
  me: '',
  /** { callId, callerId, roomId, mediaType, role, group, connected, since, members: Map<userId, state>, hiddenUntilAccepted } */
  call: null,
  /** { callId, callerId, deadline } */
  incoming: null,
};

export const mediaName = (m) => (m === MediaType.Video || m === 'Video' ? 'video' : 'audio');
export const parseIds = (text) => [...new Set(text.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean))];
const clock = (sec) => `${String(Math.floor(sec / 60)).padStart(2, '0')}:${String(sec % 60).padStart(2, '0')}`;

/** Appends a line to the event log (newest first, at most MAX_LOG lines). */
export function log(text, kind = 'event') {
  const li = document.createElement('li');
  li.className = kind;
  const t = document.createElement('time');
  t.textContent = new Date().toLocaleTimeString([], { hour12: false });
  li.append(t, ' ', text);
  $('log').prepend(li);
  while ($('log').children.length > MAX_LOG) $('log').lastElementChild?.remove();
}

/** The polite status line (results of the user's own actions and errors). */
export function say(text) {
  $('status').textContent = text;
}

/** Runs a control's action with the control disabled; errors (with their SDK code) go to the log and the status line. */
export async function act(what, button, run) {
  if (button) button.disabled = true;
  try {
    await run();
  } catch (err) {
    const code = err && typeof err === 'object' && 'code' in err ? ` (${err.code})` : '';
    const text = `${what} failed${code}: ${err instanceof Error ? err.message : String(err)}`;
    log(text, 'error');
    say(text);
  } finally {
    if (button) button.disabled = false;
    render();
  }
}

const MEMBER_TEXT = { caller: 'calling', invited: 'invited', ringing: 'ringing', joined: 'in the call', left: 'left', rejected: 'rejected', noResponse: 'did not answer', busy: 'busy', you: 'you' };

/**
 * Who is in the call and who still rings, from the SDK's member view: the caller of a group call
 * is told `onCallBegin`, not who answered first, so the events alone do not say.
 */
function syncMembers() {
  const view = s.engine?.callMembers;
  if (!s.call || !view || view.callId !== s.call.callId) return;
  for (const u of view.inCall ?? []) if (u !== s.me) s.call.members.set(u, 'joined');
  for (const u of view.ringing ?? []) if (!s.call.members.has(u) || s.call.members.get(u) === 'invited') s.call.members.set(u, 'ringing');
}

function renderCall(call) {
  $('call-status').textContent = call.connected ? 'Connected' : call.role === 'caller' ? 'Calling…' : 'Connecting…';
  $('call-id').textContent = call.callId;
  $('room-id').textContent = String(call.roomId ?? '–');
  $('call-media').textContent = mediaName(call.mediaType);
  $('call-type').textContent = call.group ? 'Group call' : '1v1 call';
  $('switch-media').textContent = `Switch to ${mediaName(call.mediaType) === 'video' ? 'audio' : 'video'}`;
  $('switch-media').disabled = !call.connected;
  $('invite-form').hidden = !call.group;
  const items = [...call.members].map(([userId, state]) => {
    const li = document.createElement('li');
    li.dataset.user = userId;
    li.dataset.state = state;
    li.textContent = `${userId}${userId === s.me ? ' (you)' : ''} — ${MEMBER_TEXT[state] ?? state}`;
    return li;
  });
  $('members').replaceChildren(...items);
}

/** Shows the state: which sections are visible, which controls the call state allows. */
export function render() {
  syncMembers();
  $('signin').hidden = s.engine !== undefined;
  $('app').hidden = s.engine === undefined;
  $('incoming').hidden = !s.incoming;
  $('call').hidden = !s.call || s.call.hiddenUntilAccepted === true;
  const idle = !s.call && !s.incoming;
  for (const control of [$('call-button'), $('join-callid'), $('join-form').querySelector('button')]) control.disabled = !idle;
  if (s.call) renderCall(s.call);
}

/** Twice a second: the call's duration and the ring's time left. */
export function tick() {
  if (s.call?.connected && s.call.since) $('call-timer').textContent = clock(Math.floor((Date.now() - s.call.since) / 1000));
  if (s.incoming) $('incoming-left').textContent = `Rings for ${Math.max(0, Math.round((s.incoming.deadline - Date.now()) / 1000))} s more.`;
}

export function startCall(fields) {
  s.call = { connected: false, since: 0, members: new Map(), ...fields };
  $('call-summary').textContent = '';
  $('call-timer').textContent = '–';
}

export function setMember(callId, userId, state) {
  if (s.call && s.call.callId === callId && userId) s.call.members.set(userId, state);
}

export function endCall(summary) {
  s.call = null;
  $('call-summary').textContent = summary;
}

export function stopRinging(message) {
  s.incoming = null;
  if (message) $('ring-status').textContent = message;
}

/** Why this tab's part in a call ended before it connected (onCallNotConnected), in words. */
export function notConnectedText(e) {
  const ours = s.call?.callId === e.callId ? s.call : null;
  const callee = ours ? ours.role === 'callee' : s.incoming?.callId === e.callId;
  const caller = ours?.callerId ?? s.incoming?.callerId ?? 'The caller';
  const others = ours ? [...ours.members.keys()].filter((u) => u !== s.me) : [];
  const peer = others.length === 1 ? others[0] : undefined;
  switch (e.reason) {
    case CallEndReason.OtherDeviceAccepted:
      return 'Answered on another device.';
    case CallEndReason.OtherDeviceReject:
      return 'Rejected on another device.';
    case CallEndReason.Canceled:
      return callee ? `${caller} cancelled the call.` : 'You cancelled the call.';
    case CallEndReason.NoResponse:
      return callee ? `Missed call from ${caller}.` : `${peer ?? 'Nobody'} did not answer.`;
    case CallEndReason.Reject:
      return callee ? 'You rejected the call.' : peer ? `${peer} rejected the call.` : 'Everyone rejected the call.';
    case CallEndReason.LineBusy:
      return callee ? 'The call did not connect: busy.' : peer ? `${peer} is busy.` : 'Everyone is busy.';
    default:
      return `The call did not connect (${e.reasonName}).`;
  }
}
