/** API Gateway's WebSocket frame limit; larger frames are refused whole (ws-protocol.md "Frames"). */
export const MAX_FRAME_BYTES = 32 * 1024;

/** A request frame whose envelope is well formed (its data is checked per action later). */
export interface RequestFrame {
  action: string;
  requestId: string;
  data: unknown;
}

export type FrameParse = { ok: true; frame: RequestFrame } | { ok: false; code: number; message: string; requestId?: string; action?: string };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Parses a client frame's envelope: size, JSON, `action`, `requestId` (1..64 chars), `data` object. */
export function parseFrame(body: string | undefined): FrameParse {
  const text = body ?? '';
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_FRAME_BYTES) return { ok: false, code: -1202, message: `frame is ${bytes} bytes; the limit is ${MAX_FRAME_BYTES}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, code: -1202, message: 'frame is not valid JSON' };
  }
  if (!isObject(parsed)) return { ok: false, code: -1202, message: 'frame must be a JSON object' };
  const { action, requestId, data } = parsed;
  const known = { ...(typeof requestId === 'string' ? { requestId } : {}), ...(typeof action === 'string' ? { action } : {}) };
  if (typeof action !== 'string' || action.length === 0) return { ok: false, code: -1202, message: 'frame has no "action" string', ...known };
  if (typeof requestId !== 'string' || requestId.length < 1 || requestId.length > 64) {
    return { ok: false, code: -1202, message: '"requestId" must be a string of 1 to 64 characters', ...known };
  }
  if (data !== undefined && !isObject(data)) return { ok: false, code: -1202, message: `${action}: "data" must be a JSON object`, ...known };
  return { ok: true, frame: { action, requestId, data: data ?? {} } };
}

/** The response frame to a request (sent to the requesting connection only). */
export function responseFrame(requestId: string, action: string, code: number, message: string, data: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'response', requestId, action, code, message, data });
}

/** The `onError` event for a frame that could not be handled at all. */
export function errorEventFrame(code: number, message: string, now: number): string {
  return JSON.stringify({ type: 'event', event: 'onError', time: now, data: { code, message } });
}
