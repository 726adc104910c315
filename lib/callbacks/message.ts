/** One callback on its way to an app server, as it travels on the callbacks queue. */
export interface CallbackMessage {
  /** Stable across retries and duplicate deliveries: receivers de-duplicate on it. */
  eventId: string;
  sdkAppId: number;
  generation: 'v4' | 'v1';
  command: string;
  /** The configured callback URL (checked again against the SSRF rule before each attempt). */
  url: string;
  query: Record<string, string>;
  /** The JSON body exactly as it is posted (and signed). */
  body: string;
  /** 1 for the first attempt. */
  attempt: number;
}

/** Parses a queue message body into a callback message; throws on anything else. */
export function parseCallbackMessage(text: string): CallbackMessage {
  const m = JSON.parse(text) as CallbackMessage;
  if (typeof m.eventId !== 'string' || typeof m.url !== 'string' || typeof m.body !== 'string' || typeof m.attempt !== 'number') throw new Error('not a callback message');
  return m;
}
