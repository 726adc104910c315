// The CallSignal web demo: one CallEngine per tab, signed in to the demo app with a UserSig the
// local runtime mints (/demo/usersig). No framework, no media: a call shows its room id, which a
// real app would hand to its RTC stack. State and rendering: demo-view.js; events: demo-events.js.
import { CallEngine, MediaType } from '/client.js';
import { wireEvents } from '/web/demo-events.js';
import { $, act, endCall, log, mediaName, parseIds, render, s, say, startCall, stopRinging, tick } from '/web/demo-view.js';

const USER_ID = /^[A-Za-z0-9_-]{1,32}$/;
const STATUS_TEXT = { ONLINE: 'online', OFFLINE: 'offline', UNLOGINED: 'never signed in / signed out' };
let presenceTimer = 0;

async function signIn(userId) {
  const res = await fetch(`/demo/usersig?userid=${encodeURIComponent(userId)}`);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.message ?? `HTTP ${res.status}`);
  const e = new CallEngine({ url: body.wsUrl, sdkAppId: body.sdkAppId });
  wireEvents(e, signedOut);
  try {
    await e.login({ userId, userSig: body.userSig });
    // Ring every tab of this user, not only the newest (multi-device.md).
    await e.enableMultiDeviceAbility(true);
  } catch (err) {
    e.destroy();
    throw err;
  }
  Object.assign(s, { engine: e, me: userId });
  $('me-id').textContent = userId;
  $('demo-app').textContent = `SDKAppID ${body.sdkAppId}`;
  $('another-tab').href = `/?userid=${encodeURIComponent(userId)}`;
  $('conn-status').textContent = `Online as ${userId}`;
  document.title = `${userId} — CallSignal demo`;
  log(`Signed in as ${userId} (SDKAppID ${body.sdkAppId})`);
  say(`Signed in as ${userId}.`);
  presenceTimer = window.setInterval(() => void refreshPresence(true).catch((err) => log(`Online status failed: ${err.message}`, 'error')), 10_000);
  render();
  $('contacts').focus();
}

function signedOut(message) {
  s.engine?.destroy();
  Object.assign(s, { engine: undefined, call: null, incoming: null });
  window.clearInterval(presenceTimer);
  $('conn-status').textContent = 'Not signed in';
  document.title = 'CallSignal demo';
  $('ring-status').textContent = '';
  log(message);
  say(message);
  render();
  $('userid').focus();
}

/** getUserStatus on the contacts; each contact gets a checkbox that adds her to the users to call. */
async function refreshPresence(quiet = false) {
  const ids = parseIds($('contacts').value).filter((u) => u !== s.me);
  if (!s.engine || ids.length === 0) return;
  const { statusList } = await s.engine.getUserStatus(ids);
  const chosen = new Set(parseIds($('callees').value));
  const items = statusList.map(({ userId, status }) => {
    const li = document.createElement('li');
    li.dataset.user = userId;
    li.dataset.status = status;
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', id: `pick-${userId}`, checked: chosen.has(userId), value: userId });
    const label = Object.assign(document.createElement('label'), { htmlFor: box.id });
    const badge = Object.assign(document.createElement('span'), { className: `badge ${status.toLowerCase()}`, textContent: STATUS_TEXT[status] ?? status });
    label.append(`${userId} `, badge);
    li.append(box, label);
    return li;
  });
  $('presence').replaceChildren(...items);
  $('presence-box').hidden = items.length === 0;
  if (!quiet) log(`Online status: ${statusList.map((x) => `${x.userId} ${x.status}`).join(', ')}`);
}

async function placeCall(ids, media) {
  const answer = await s.engine.calls(ids, media);
  if (s.call?.callId === answer.callId) return; // glare: onCallBegin already came
  startCall({ callId: answer.callId, callerId: s.me, roomId: answer.roomId, mediaType: media, role: 'caller', group: ids.length > 1 });
  s.call.members.set(s.me, 'caller');
  for (const u of ids) s.call.members.set(u, 'ringing');
  log(`Calling ${ids.join(', ')} (${mediaName(media)}): call ${answer.callId}, room ${answer.roomId}${answer.merged ? ' (merged with their call to you)' : ''}`);
}

async function joinCall(callId) {
  const answer = await s.engine.join(callId);
  if (!s.call || s.call.callId !== answer.callId) startCall({ callId: answer.callId, role: 'callee', group: true });
  Object.assign(s.call, { group: true, connected: true, since: s.call.since || Date.now(), roomId: answer.roomId, mediaType: answer.mediaType ?? s.call.mediaType });
  s.call.members.set(s.me, 'joined');
  log(`Joined call ${answer.callId}: room ${answer.roomId}`);
}

// ---- controls --------------------------------------------------------------------------------

const on = (id, event, handler) => $(id).addEventListener(event, handler);
/** A form whose submit runs `run(values)` as the action `what` (its submit button disabled meanwhile). */
const onSubmit = (id, what, run) =>
  on(id, 'submit', (ev) => {
    ev.preventDefault();
    void act(what, ev.submitter, run);
  });
/** A button whose click runs the action `what`. */
const onClick = (id, what, run) => on(id, 'click', (ev) => void act(what, ev.currentTarget, run));

onSubmit('signin-form', 'Sign in', async () => {
  const userId = $('userid').value.trim();
  if (!USER_ID.test(userId)) return say('A user id is 1 to 32 letters, digits, _ or -.');
  await signIn(userId);
});
onClick('signout', 'Sign out', async () => {
  await s.engine?.logout();
  signedOut('Signed out.');
});
onSubmit('contacts-form', 'Online status', () => refreshPresence());
on('presence', 'change', () => {
  $('callees').value = [...$('presence').querySelectorAll('input:checked')].map((b) => b.value).join(', ');
});
onSubmit('call-form', 'Call', async () => {
  const ids = parseIds($('callees').value);
  if (ids.length === 0) return say('Enter at least one user id to call.');
  await placeCall(ids, Number(document.querySelector('input[name="media"]:checked').value));
});
onSubmit('join-form', 'Join', async () => {
  const callId = $('join-callid').value.trim();
  if (!callId) return say('Enter the call ID to join.');
  await joinCall(callId);
});
onClick('accept', 'Accept', async () => {
  await s.engine?.accept();
  stopRinging('');
  if (s.call) s.call.hiddenUntilAccepted = false;
  log('Accepted');
});
onClick('reject', 'Reject', async () => {
  await s.engine?.reject();
  stopRinging('You rejected the call.');
  endCall('');
  log('Rejected');
});
onClick('ignore', 'Ignore', async () => {
  await s.engine?.ignore();
  stopRinging('Ignored here; your other devices keep ringing.');
  endCall('');
  log('Ignored on this tab');
});
onClick('hangup', 'Hang up', async () => {
  const wasConnected = s.call?.connected;
  await s.engine?.hangup();
  endCall(wasConnected ? 'You hung up.' : 'You cancelled the call.');
  log(wasConnected ? 'Hung up' : 'Cancelled');
});
onClick('switch-media', 'Switch media', async () => {
  if (!s.call) return;
  const next = mediaName(s.call.mediaType) === 'video' ? MediaType.Audio : MediaType.Video;
  await s.engine?.switchCallMediaType(next);
  if (s.call) s.call.mediaType = next;
});
onSubmit('invite-form', 'Invite', async () => {
  const ids = parseIds($('invite-ids').value);
  if (ids.length === 0) return say('Enter the user ids to invite.');
  await s.engine?.inviteUser(ids);
  for (const u of ids) s.call?.members.set(u, 'ringing');
  $('invite-ids').value = '';
  log(`Invited ${ids.join(', ')}`);
});
on('copy-callid', 'click', () => {
  const callId = s.call?.callId;
  if (!callId) return;
  navigator.clipboard?.writeText(callId).then(
    () => say('Call ID copied.'),
    () => say(`Call ID: ${callId}`),
  );
});
on('clear-log', 'click', () => $('log').replaceChildren());

window.setInterval(tick, 500);
render();
const preset = new URLSearchParams(location.search).get('userid');
if (preset && USER_ID.test(preset)) {
  $('userid').value = preset;
  void act('Sign in', null, () => signIn(preset));
}
