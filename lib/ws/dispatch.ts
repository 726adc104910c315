import { CallRuleError } from '../calls/errors.ts';
import type { Deps, Speaker } from '../usecases/deps.ts';
import { actOnCall } from '../usecases/call-actions.ts';
import { placeCall, ringTimeoutSec } from '../usecases/start-call.ts';
import * as session from '../usecases/session.ts';
import { type ActionData, type ActionName, isAction, parseActionData } from './schemas.ts';
import type { RequestFrame } from './frames.ts';

type Handler<A extends ActionName> = (deps: Deps, who: Speaker, data: ActionData<A>, requestId: string) => Promise<Record<string, unknown> | void>;

/** One use case per action; the only place that knows which action calls what. */
const HANDLERS: { [A in ActionName]: Handler<A> } = {
  login: (deps, who, data, requestId) => session.login(deps, who, data, requestId),
  logout: (deps, who) => session.logout(deps, who),
  heartbeat: (deps, who) => session.heartbeat(deps, who),
  setSelfInfo: (deps, who, data) => session.setSelfInfo(deps, who, data),
  enableMultiDeviceAbility: (deps, who, data) => session.enableMultiDeviceAbility(deps, who, data.enable),
  getUserStatus: (deps, who, data) => session.getUserStatus(deps, who, data.userIdList),
  syncCall: (deps, who) => session.syncCall(deps, who),
  calls: (deps, who, data, requestId) =>
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
  accept: (deps, who, data, requestId) => actOnCall(deps, who, 'accept', data, requestId),
  reject: (deps, who, data, requestId) => actOnCall(deps, who, 'reject', data, requestId),
  ignore: (deps, who, data, requestId) => actOnCall(deps, who, 'ignore', data, requestId),
  hangup: (deps, who, data, requestId) => actOnCall(deps, who, 'hangup', data, requestId),
};

/** What a request resolved to: the response's code, message and data. */
export interface Outcome {
  code: number;
  message: string;
  data: Record<string, unknown>;
}

/** The one place that maps errors to wire answers: documented codes pass, anything else is 101001 without details. */
export function outcomeOfError(err: unknown, deps: Pick<Deps, 'log'>, context: Record<string, unknown>): Outcome {
  if (err instanceof CallRuleError) return { code: err.code, message: err.message, data: {} };
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
    const data = await handler(deps, who, parsed.data, requestId);
    return { code: 0, message: '', data: data ?? {} };
  } catch (err) {
    return outcomeOfError(err, deps, { action, requestId, connectionId: who.connectionId });
  }
}
