// The records list (filters, paging, the user id filter done here) and a record's detail.
import { $, cell, fmtDuration, fmtTime, fromInput, PLATFORM_TEXT, rest, RestError, RESULT_TEXT, step, typeText } from '/web/admin-api.js';

/** The user id filter scans at most this many pages of 100 records. */
const USER_SCAN_PAGES = 20;
/** The search being paged: what was asked and, for a user id search, every match. */
let query = null;
/** The button that opened the detail: focus goes back to it when the detail closes. */
let opener = null;

function readFilter() {
  const type = $('f-type').value;
  const result = type === 'MultiCall' ? '' : $('f-result').value;
  const body = { StartTime: fromInput($('f-from').value), EndTime: fromInput($('f-to').value), CallType: result ? 'SingleCall' : type || undefined, CallResult: result || undefined };
  return { body: JSON.parse(JSON.stringify(body)), callId: $('f-callid').value.trim(), userId: $('f-userid').value.trim(), perPage: Number($('f-per-page').value) };
}

const involves = (r, userId) => r.Caller_Account === userId || r.CalleeList_Account.includes(userId);

/** Every record of the filter that involves `userId`, scanning up to USER_SCAN_PAGES pages of 100. */
async function scanForUser(body, userId) {
  const matches = [];
  let total = 0;
  let page = 1;
  for (; page <= USER_SCAN_PAGES; page += 1) {
    const { Response } = await rest('call_record_http_srv/get_record_by_filter', { ...body, NumberPerPage: 100, Page: page });
    total = Response.TotalNum;
    matches.push(...Response.CallRecordList.filter((r) => involves(r, userId)));
    if (!Response.Page) return { matches, note: '' };
  }
  return { matches, note: ` (searched the first ${USER_SCAN_PAGES * 100} of ${total} records; narrow the time range)` };
}

/** Fetches page `page` of the current query: { records, total, note }. */
async function fetchPage(page) {
  const { body, callId, userId, perPage } = query;
  if (callId) {
    try {
      const { Response } = await rest('call_record_http_srv/get_record_by_callid', { CallId: callId });
      return { records: [Response.CallRecord], total: 1, note: ' (by call ID; other filters ignored)' };
    } catch (err) {
      if (err instanceof RestError && err.code === 101050) return { records: [], total: 0, note: ` (no record for call ${callId})` };
      throw err;
    }
  }
  if (userId) {
    query.scan ??= await scanForUser(body, userId);
    const { matches, note } = query.scan;
    return { records: matches.slice((page - 1) * perPage, page * perPage), total: matches.length, note: ` involving ${userId}${note}` };
  }
  const { Response } = await rest('call_record_http_srv/get_record_by_filter', { ...body, NumberPerPage: perPage, Page: page });
  return { records: Response.CallRecordList, total: Response.TotalNum, note: '' };
}

/** Shows page `page` of the current search. */
export async function showPage(page) {
  const { records, total, note } = await fetchPage(page);
  const pages = Math.max(1, Math.ceil(total / query.perPage));
  query.page = page;
  $('records').tBodies[0].replaceChildren(...records.map(recordRow));
  $('records-summary').textContent = `${total} record${total === 1 ? '' : 's'}${note}.`;
  $('page-info').textContent = `Page ${page} of ${pages}`;
  $('prev-page').disabled = page <= 1;
  $('next-page').disabled = page >= pages;
  await fillGroupDurations(records);
}

function recordRow(r) {
  const tr = document.createElement('tr');
  tr.dataset.callId = r.CallId;
  const open = Object.assign(document.createElement('button'), { type: 'button', className: 'small', textContent: r.CallId });
  open.setAttribute('aria-label', `Details of call ${r.CallId}`);
  open.addEventListener('click', () => {
    opener = open;
    void step('Detail', () => showDetail(r.CallId));
  });
  const idCell = document.createElement('td');
  idCell.append(open);
  // 1v1: the time after the callee answered. Group: the time more than one person was in it (from the detail).
  const duration = r.CallType === 'MultiCall' ? '…' : fmtDuration(r.AcceptTime ? r.EndTime - r.AcceptTime : 0);
  tr.append(idCell, cell(fmtTime(r.StartTime)), cell(typeText(r.CallType)), cell(r.MediaType), cell(RESULT_TEXT[r.CallResult] ?? r.CallResult));
  tr.append(cell(r.Caller_Account), cell(r.CalleeList_Account.filter((u) => u !== r.Caller_Account).join(', ')), cell(duration, 'num duration'));
  return tr;
}

async function fillGroupDurations(records) {
  await Promise.all(
    records
      .filter((r) => r.CallType === 'MultiCall')
      .map(async (r) => {
        const { Response } = await rest('callsignal_stats_svc/get_record_detail', { CallId: r.CallId });
        const td = $('records').querySelector(`tr[data-call-id="${CSS.escape(r.CallId)}"] td.duration`);
        if (td) td.textContent = fmtDuration(Response.ConnectedDuration);
      }),
  );
}

// ---- detail ----------------------------------------------------------------------------------

async function showDetail(callId) {
  const { Response } = await rest('callsignal_stats_svc/get_record_detail', { CallId: callId });
  const r = Response.CallRecord;
  const group = r.CallType === 'MultiCall';
  const joined = new Set(Response.Members.filter((m) => m.JoinTime > 0).map((m) => m.User_Account));
  const facts = [
    ['Call ID', r.CallId],
    ['Type', typeText(r.CallType)],
    ['Media', r.MediaType],
    ['Start time', fmtTime(r.StartTime)],
    ['End time', fmtTime(r.EndTime)],
    ['Duration', fmtDuration(group ? Response.ConnectedDuration : r.AcceptTime ? r.EndTime - r.AcceptTime : 0)],
    ['Result', RESULT_TEXT[r.CallResult] ?? r.CallResult],
    ['Caller', r.Caller_Account],
    [group ? 'Participants' : 'Callee', group ? String(joined.size) : r.CalleeList_Account.filter((u) => u !== r.Caller_Account).join(', ')],
    ...(group ? [['Peak concurrent participants', String(Response.PeakConnected)]] : []),
    ['Room ID', r.RoomId],
  ];
  $('detail-facts').replaceChildren(...facts.flatMap(([k, v]) => [Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: v, id: `detail-${k.toLowerCase().replace(/\W+/g, '-')}` })]));
  const rows = Response.Members.map((m) => {
    const tr = document.createElement('tr');
    tr.dataset.user = m.User_Account;
    tr.append(Object.assign(document.createElement('th'), { scope: 'row', textContent: m.User_Account }));
    tr.append(cell(m.Role), cell(PLATFORM_TEXT[m.Platform] ?? m.Platform), cell(fmtDuration(m.Duration), 'num'), cell(fmtTime(m.JoinTime)), cell(fmtTime(m.LeaveTime)), cell(m.Outcome));
    return tr;
  });
  $('detail-members').tBodies[0].replaceChildren(...rows);
  $('detail').hidden = false;
  $('detail').focus();
}

/** Runs a new search with the filter form's values, from page 1. */
export function searchRecords() {
  query = readFilter();
  return showPage(1);
}

/** Moves `delta` pages from the current one. */
export const turnPage = (delta) => showPage(query.page + delta);

export function closeDetail() {
  $('detail').hidden = true;
  opener?.focus();
}
