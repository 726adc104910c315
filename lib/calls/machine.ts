import { accept, ignore, reject } from './answer.ts';
import type { CallCommand } from './commands.ts';
import { Effects } from './emit.ts';
import { deviceGone, deviceOnline, memberOffline } from './devices.ts';
import { invite, join, switchMedia } from './group.ts';
import { hangup } from './hangup.ts';
import { endCall } from './settle.ts';
import { expireInvitations } from './timeout.ts';
import type { Transition } from './transition.ts';
import type { Call } from './types.ts';

/**
 * The call state machine: `(call, command) → { call', effects }`. Pure: the input call is not
 * modified, time comes in the command, and refusals throw a `CallRuleError` with the documented code.
 */
export function applyCommand(current: Call, cmd: CallCommand): Transition {
  const call = structuredClone(current);
  const fx = new Effects(call, cmd.now);
  switch (cmd.type) {
    case 'accept':
      accept(call, cmd, fx);
      break;
    case 'reject':
      reject(call, cmd, fx);
      break;
    case 'ignore':
      ignore(call, cmd);
      break;
    case 'hangup':
      hangup(call, cmd, fx);
      break;
    case 'timeout':
      expireInvitations(call, cmd.now, fx);
      break;
    case 'deviceGone':
      deviceGone(call, cmd.connectionId, fx, cmd.notifyReason);
      break;
    case 'deviceOnline':
      deviceOnline(call, cmd, fx);
      break;
    case 'invite':
      invite(call, cmd, fx);
      break;
    case 'join':
      join(call, cmd, fx);
      break;
    case 'switchMedia':
      switchMedia(call, cmd, fx);
      break;
    case 'endByServer':
      if (call.status !== 'ended') endCall(call, fx, cmd.now, { userId: cmd.by, reason: 'EndByServer' });
      break;
    case 'memberOffline':
      memberOffline(call, cmd.userId, cmd.connectionId, cmd.now, fx);
      break;
  }
  return { call, effects: fx.list };
}
