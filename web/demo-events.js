// What the demo does with each engine event (TUICallObserver names, plus the connection events).
import { $, endCall, log, mediaName, notConnectedText, render, s, say, setMember, startCall, stopRinging } from '/web/demo-view.js';

let lastKeyAt = 0;
document.addEventListener('keydown', () => (lastKeyAt = Date.now()), { capture: true });

function onCallReceived(ev) {
  // The SDK adopts an invitation only when this device is free; another one is not ours to show.
  if (s.engine && s.engine.currentCallId !== ev.callId) {
    log(`Invitation to call ${ev.callId} from ${ev.callerId} not shown: this tab is busy with another call`);
    return;
  }
  const group = ev.sceneName !== 'SINGLE_CALL';
  const others = ev.calleeIdList.filter((u) => u !== s.me);
  s.incoming = { callId: ev.callId, callerId: ev.callerId, deadline: Date.now() + (ev.remainingMs ?? ev.timeout * 1000) };
  $('incoming-text').textContent = `${ev.callerId} is calling you (${mediaName(ev.mediaType)}${group ? `, group call with ${[ev.callerId, ...others].join(', ')}` : ''}).`;
  $('ring-status').textContent = `Incoming ${mediaName(ev.mediaType)} call from ${ev.callerId}.`;
  startCall({ callId: ev.callId, callerId: ev.callerId, roomId: ev.roomId, mediaType: ev.mediaType, role: 'callee', group, hiddenUntilAccepted: true });
  s.call.members.set(ev.callerId, 'caller');
  for (const u of ev.calleeIdList) s.call.members.set(u, u === s.me ? 'you' : 'invited');
  log(`Incoming ${mediaName(ev.mediaType)} call ${ev.callId} from ${ev.callerId}${group ? ` (group: ${ev.calleeIdList.join(', ')})` : ''}`);
  // Keyboard users land on Accept (once it is shown), unless they are typing right now.
  render();
  if (Date.now() - lastKeyAt > 2000) $('accept').focus();
}

function onCallBegin(ev) {
  if (s.incoming?.callId === ev.callId) stopRinging('');
  if (!s.call || s.call.callId !== ev.callId) startCall({ callId: ev.callId, role: ev.roleName === 'Caller' ? 'caller' : 'callee', group: false });
  Object.assign(s.call, { connected: true, since: Date.now(), roomId: ev.roomId, mediaType: ev.mediaType, hiddenUntilAccepted: false });
  s.call.members.set(s.me, 'joined');
  // A 1v1 call begins when its one callee answers.
  const others = [...s.call.members.keys()].filter((u) => u !== s.me);
  if (!s.call.group && others.length === 1) s.call.members.set(others[0], 'joined');
  log(`Connected to call ${ev.callId}: join RTC room ${ev.roomId}`);
  say('');
}

function onCallNotConnected(ev) {
  const text = notConnectedText(ev);
  log(`Call ${ev.callId} not connected: ${ev.reasonName}`);
  // A ring that stops is told once, where the ring was; an outgoing call that fails, in the call summary.
  if (s.incoming?.callId === ev.callId) {
    stopRinging(text);
    if (s.call?.callId === ev.callId) endCall('');
  } else if (s.call?.callId === ev.callId) endCall(text);
}

/** Subscribes the page to an engine; `signedOut` is called when the server ends the session. */
export function wireEvents(e, signedOut) {
  e.on('onCallReceived', onCallReceived);
  e.on('onCallBegin', onCallBegin);
  e.on('onCallEnd', (ev) => {
    if (s.call?.callId !== ev.callId) return;
    log(`Call ${ev.callId} ended: ${ev.reasonName}${ev.userId ? ` by ${ev.userId}` : ''}, ${ev.totalTime} s`);
    endCall(`Last call ended (${ev.reasonName}) after ${ev.totalTime} s.`);
  });
  e.on('onCallNotConnected', onCallNotConnected);
  const member = (event, state, words) =>
    e.on(event, (ev) => {
      setMember(ev.callId, ev.userId, state);
      log(`${ev.userId} ${words}`);
    });
  member('onUserReject', 'rejected', 'rejected the call');
  member('onUserNoResponse', 'noResponse', 'did not answer');
  member('onUserLineBusy', 'busy', 'is busy');
  member('onUserInviting', 'ringing', 'was invited');
  member('onUserJoin', 'joined', 'joined the call');
  member('onUserLeave', 'left', 'left the call');
  e.on('onCallMediaTypeChanged', (ev) => {
    if (s.call?.callId === ev.callId) s.call.mediaType = ev.newMediaType;
    log(`Media switched from ${mediaName(ev.oldMediaType)} to ${mediaName(ev.newMediaType)}`);
  });
  e.on('onKickedOffline', (ev) => signedOut(`Signed out by the server: ${ev.reason}.`));
  e.on('onUserSigExpired', () => signedOut('The UserSig expired: sign in again.'));
  e.on('onError', (ev) => log(`Server error ${ev.code}: ${ev.message}`, 'error'));
  e.on('reconnecting', (ev) => {
    $('conn-status').textContent = `Reconnecting (attempt ${ev.attempt})…`;
    log(`Connection lost; reconnecting in ${ev.delayMs} ms`, 'error');
  });
  e.on('reconnected', (ev) => {
    $('conn-status').textContent = `Online as ${s.me}`;
    log(`Reconnected${ev.call ? `; still in call ${ev.call.callId}` : ''}`);
    if (!ev.call && s.call) endCall('The call ended while the connection was down.');
  });
  e.on('disconnected', (ev) => signedOut(`Disconnected (${ev.code}): ${ev.message}`));
  // Every event may change what is shown; USER_ENTER & co. (Web TUICallEvent names) come from the SDK's member view.
  const shown = ['onCallReceived', 'onCallBegin', 'onCallEnd', 'onCallNotConnected', 'onCallMediaTypeChanged', 'reconnected', 'USER_ENTER', 'USER_ACCEPT', 'GROUP_CALL_INVITEE_LIST_UPDATE'];
  for (const name of [...shown, 'onUserReject', 'onUserNoResponse', 'onUserLineBusy', 'onUserInviting', 'onUserJoin', 'onUserLeave']) e.on(name, () => render());
}
