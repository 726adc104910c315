import { CallRuleError } from '../calls/errors.ts';
import { isStoreThrottled } from '../ports/store.ts';
import type { Deps, Speaker } from '../usecases/deps.ts';
import { actOnCall } from '../usecases/call-actions.ts';
import { inviteUsers, joinCall, switchMediaType } from '../usecases/group-actions.ts';
import { placeCall, ringTimeoutSec } from '../usecases/start-call.ts';
import * as session from '../usecases/session.ts';
import { login, type Answered } from '../usecases/login.ts';
import { type ActionData, type ActionName, isAction, parseActionData } from './schemas.ts';
import type { RequestFrame } from './frames.ts';

type Handler<A extends ActionName> = (deps: Deps, who: Speaker, data: ActionData<A>, requestId: string) => Promise<Answered<Record<string, unknown>>>;

/** Most actions only answer; `login` also has work to do once its answer is out. */
const only = async (work: Promise<Record<string, unknown> | void>): Promise<Answered<Record<string, unknown>>> => ({ answer: (await work) ?? {} });

/** One use case per action; the only place that knows which action calls what. */
const HANDLERS: { [A in ActionName]: Handler<A> } = {
  login: (deps, who, data, requestId) => login(deps, who, data, requestId),
  logout: (deps, who) => only(session.logout(deps, who)),
  heartbeat: (deps, who) => only(session.heartbeat(deps, who)),
  setSelfInfo: (deps, who, data) => only(session.setSelfInfo(deps, who, data)),
  enableMultiDeviceAbility: (deps, who, data) => only(session.enableMultiDeviceAbility(deps, who, data.enable)),
  getUserStatus: (deps, who, data) => only(session.getUserStatus(deps, who, data.userIdList)),
  syncCall: (deps, who) => only(session.syncCall(deps, who)),
  calls: (deps, who, data, requestId) =>
    only(
      placeCall(
        deps,
        who,
        {
          userIdList: data.userIdList,
          mediaType: data.mediaType,
          timeoutSec: ringTimeoutSec(deps, data.params?.timeout),
          userData: data.params?.userData ?? '',
          chatGroupId: data.params?.chatGroupId ?? '',
          ...(data.params?.roomId !== undefined ? { roomId: data.params.roomId } : {}),
          ...(data.params?.offlinePushInfo ? { offlinePushInfo: data.params.offlinePushInfo } : {}),
        },
        requestId,
      ),
    ),
  inviteUser: (deps, who, data, requestId) =>
    only(inviteUsers(deps, who, { callId: data.callId, userIdList: data.userIdList, timeoutSec: ringTimeoutSec(deps, data.params?.timeout) }, requestId)),
  join: (deps, who, data, requestId) => only(joinCall(deps, who, data, requestId)),
  switchCallMediaType: (deps, who, data, requestId) => only(switchMediaType(deps, who, data, requestId)),
  accept: (deps, who, data, requestId) => only(actOnCall(deps, who, 'accept', data, requestId)),
  reject: (deps, who, data, requestId) => only(actOnCall(deps, who, 'reject', data, requestId)),
  ignore: (deps, who, data, requestId) => only(actOnCall(deps, who, 'ignore', data, requestId)),
  hangup: (deps, who, data, requestId) => only(actOnCall(deps, who, 'hangup', data, requestId)),
};

/** What a request resolved to: the response's code, message and data. */
export interface Outcome {
  code: number;
  message: string;
  data: Record<string, unknown>;
  /** Work that must follow the answer (events the client should see after it). */
  after?: () => Promise<void>;
}

/** The one place that maps errors to wire answers: documented codes pass, anything else is 101001 without details. */
export function outcomeOfError(err: unknown, deps: Pick<Deps, 'log' | 'metrics'>, context: Record<string, unknown>): Outcome {
  if (err instanceof CallRuleError) return { code: err.code, message: err.message, data: {} };
  if (isStoreThrottled(err)) {
    deps.log.warn('storage throttled after retries', { ...context, error: String(err) });
    deps.metrics.count('StoreThrottled');
    return { code: -1401, message: 'the service is busy right now (storage throttled); retry the request in a moment', data: {} };
  }
  deps.log.error('request failed', { ...context, error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
  return { code: 101001, message: 'internal server error; retry the request', data: {} };
}

/** Runs one request frame: validates its data, runs its use case, and turns the result into an outcome. */
export async function dispatch(deps: Deps, who: Speaker, frame: RequestFrame): Promise<Outcome> {
  const { action, requestId } = frame;
  if (!isAction(action)) return { code: -1202, message: `unknown action "${action}"`, data: {} };
  const parsed = parseActionData(action, frame.data);
  if (!parsed.ok) return { code: -1202, message: parsed.message, data: {} };
  try {
    const handler = HANDLERS[action] as Handler<typeof action>;
    const { answer, after } = await handler(deps, who, parsed.data, requestId);
    return { code: 0, message: '', data: answer, ...(after ? { after } : {}) };
  } catch (err) {
    return outcomeOfError(err, deps, { action, requestId, connectionId: who.connectionId });
  }
}
