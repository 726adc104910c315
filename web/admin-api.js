// The admin REST API as the dashboard calls it, and the formatting the dashboard's parts share.
export const $ = (id) => /** @type {any} */ (document.getElementById(id));
export const DAY_MS = 86_400_000;
export const RESULT_TEXT = { NormalEnd: 'Completed', Cancel: 'Cancelled', Reject: 'Rejected', NotAnswer: 'Not answered', CallBusy: 'Busy', Interrupt: 'Interrupted', Offline: 'Interrupted (offline)' };
export const PLATFORM_TEXT = { miniProgram: 'WeChat Mini Program', '': '–' };

/** @type {{ base: string, sdkAppId: string, identifier: string, userSig: string } | null} */
let creds = null;

/** Sets the admin credentials every call is signed with (kept in memory only, never stored). */
export function setCredentials(value) {
  creds = value;
}

/** The credentials in use, if any. */
export const credentials = () => creds;

/** A REST answer with a non-zero ErrorCode. */
export class RestError extends Error {
  constructor(code, info) {
    super(`${info} (${code})`);
    this.code = code;
  }
}

/** One admin REST call (`POST {base}/v4/{path}?sdkappid&identifier&usersig&random&contenttype=json`); throws RestError on a non-zero ErrorCode. */
export async function rest(path, body) {
  if (!creds) throw new Error('enter the admin credentials first');
  const q = new URLSearchParams({ sdkappid: creds.sdkAppId, identifier: creds.identifier, usersig: creds.userSig, random: String(Math.floor(Math.random() * 4294967295)), contenttype: 'json' });
  const res = await fetch(`${creds.base}/v4/${path}?${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  if (json.ErrorCode !== 0) throw new RestError(json.ErrorCode, json.ErrorInfo || `HTTP ${res.status}`);
  return json;
}

/** The polite status line of the dashboard. */
export function say(text) {
  $('dash-status').textContent = text;
}

/** Runs a step, showing its error (with the REST code) instead of failing silently. */
export async function step(what, run) {
  try {
    await run();
  } catch (err) {
    say(`${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ---- formatting ------------------------------------------------------------------------------

export const utcDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const pad = (n) => String(n).padStart(2, '0');

/** Local time to the second, as the console shows it (2023-5-20 10:28:08). */
export function fmtTime(sec) {
  if (!sec) return '–';
  const d = new Date(sec * 1000);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** m:ss, or h:mm:ss from an hour on. */
export function fmtDuration(sec) {
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  return h ? `${h}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}` : `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

/** A datetime-local input's value for a moment (local time). */
export function toInput(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Unix seconds of a datetime-local input's value (undefined when empty). */
export const fromInput = (value) => (value ? Math.floor(new Date(value).getTime() / 1000) : undefined);
export const typeText = (t) => (t === 'MultiCall' ? 'Group' : '1v1');
export const cell = (text, className) => Object.assign(document.createElement('td'), { textContent: text, className: className ?? '' });
