// The call-records dashboard: today's and this month's overview, calls per day, records with
// filters and paging, a record's detail. It reads only the admin REST API (definitions:
// product-features.md §3). Records and detail: dashboard-records.js; REST and formatting: admin-api.js.
import { $, cell, credentials, DAY_MS, rest, say, setCredentials, step, toInput, utcDay } from '/web/admin-api.js';
import { barChart } from '/web/chart.js';
import { closeDetail, searchRecords, turnPage } from '/web/dashboard-records.js';

/** get_daily_stats answers at most 31 days per request. */
const STATS_CHUNK_DAYS = 31;
let chartDays = [];

/** get_daily_stats over any number of days, 31 at a time. */
async function dailyStats(firstDay, lastDay) {
  const days = [];
  const last = Date.parse(`${lastDay}T00:00:00Z`);
  for (let start = Date.parse(`${firstDay}T00:00:00Z`); start <= last; start += STATS_CHUNK_DAYS * DAY_MS) {
    const end = Math.min(start + (STATS_CHUNK_DAYS - 1) * DAY_MS, last);
    const json = await rest('callsignal_stats_svc/get_daily_stats', { StartDay: utcDay(start), EndDay: utcDay(end) });
    days.push(...json.Response.DayList);
  }
  return days;
}

/**
 * Distinct participants over several days. The server counts distinct users per day, so the
 * number is exact when at most one day had any; otherwise it lies between the largest day and the sum.
 */
function participantsOver(days) {
  const active = days.filter((d) => d.Participants > 0).map((d) => d.Participants);
  if (active.length <= 1) return String(active[0] ?? 0);
  const low = Math.max(...active);
  const high = active.reduce((a, b) => a + b, 0);
  return `${low}–${high}`;
}

async function loadOverview() {
  const today = utcDay(Date.now());
  const days = await dailyStats(`${today.slice(0, 8)}01`, today);
  const t = days.at(-1) ?? { CallCount: 0, Participants: 0, MaxConcurrentCalls: 0 };
  $('today-title').textContent = `Today (${today})`;
  $('month-title').textContent = `This month (${today.slice(0, 7)})`;
  $('today-calls').textContent = String(t.CallCount);
  $('today-participants').textContent = String(t.Participants);
  $('today-concurrent').textContent = String(t.MaxConcurrentCalls);
  $('month-calls').textContent = String(days.reduce((a, d) => a + d.CallCount, 0));
  $('month-participants').textContent = participantsOver(days);
  $('month-concurrent').textContent = String(Math.max(0, ...days.map((d) => d.MaxConcurrentCalls)));
}

async function loadChart() {
  const n = Number($('chart-range').value);
  const now = Date.now();
  chartDays = await dailyStats(utcDay(now - (n - 1) * DAY_MS), utcDay(now));
  drawChart();
}

/** The chart of the chosen call type (all, 1v1, group), its text summary and the same numbers as a table. */
function drawChart() {
  const type = $('chart-type').value;
  const field = type === 'single' ? 'SingleCallCount' : type === 'multi' ? 'MultiCallCount' : 'CallCount';
  const kind = type === 'single' ? '1v1 call' : type === 'multi' ? 'group call' : 'call';
  const count = (n) => `${n} ${kind}${n === 1 ? '' : 's'}`;
  const points = chartDays.map((d) => ({ label: d.Date, value: d[field], title: `${d.Date}: ${count(d[field])}` }));
  const total = points.reduce((a, p) => a + p.value, 0);
  const busiest = points.reduce((a, p) => (p.value > a.value ? p : a), { label: '', value: 0 });
  const summary = `${count(total)} over ${points.length} days${busiest.value ? `; busiest day ${busiest.label} with ${busiest.value}` : ''}.`;
  barChart($('chart'), points, `Bar chart of ${kind}s per day. ${summary}`);
  $('chart-caption').textContent = summary;
  const rows = chartDays.map((d) => {
    const tr = document.createElement('tr');
    tr.append(Object.assign(document.createElement('th'), { scope: 'row', textContent: d.Date }));
    for (const f of ['CallCount', 'SingleCallCount', 'MultiCallCount', 'Participants', 'MaxConcurrentCalls']) tr.append(cell(String(d[f]), 'num'));
    return tr;
  });
  $('chart-table').tBodies[0].replaceChildren(...rows);
}

async function loadAll() {
  say('Loading…');
  await loadOverview();
  $('dash').hidden = false;
  await loadChart();
  await searchRecords();
  const c = credentials();
  say(`Loaded for SDKAppID ${c?.sdkAppId} as ${c?.identifier}.`);
}

$('creds-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  setCredentials({ base: $('api-base').value.replace(/\/+$/, ''), sdkAppId: $('sdkappid').value.trim(), identifier: $('identifier').value.trim(), userSig: $('usersig').value.trim() });
  void step('Loading', loadAll);
});
$('chart-range').addEventListener('change', () => void step('Chart', loadChart));
$('chart-type').addEventListener('change', drawChart);
$('f-type').addEventListener('change', () => ($('f-result').disabled = $('f-type').value === 'MultiCall'));
$('filter-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void step('Search', searchRecords);
});
$('filter-form').addEventListener('reset', () => setTimeout(() => ($('f-from').value = toInput(Date.now() - 7 * DAY_MS)), 0));
$('prev-page').addEventListener('click', () => void step('Paging', () => turnPage(-1)));
$('next-page').addEventListener('click', () => void step('Paging', () => turnPage(1)));
$('close-detail').addEventListener('click', closeDetail);

/** Local runtime only: admin credentials for the demo app, then load (elsewhere the fields stay empty). */
async function prefill() {
  $('api-base').value = location.origin;
  $('f-from').value = toInput(Date.now() - 7 * DAY_MS);
  const res = await fetch('/demo/usersig?userid=administrator').catch(() => undefined);
  if (!res?.ok) return $('sdkappid').focus();
  const body = await res.json();
  $('sdkappid').value = String(body.sdkAppId);
  $('identifier').value = body.userId;
  $('usersig').value = body.userSig;
  $('creds-form').requestSubmit();
}
void prefill();
