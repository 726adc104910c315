import { ASSUMPTIONS, costOf, deviceMonth, PRICES, scaleCost } from './cost.ts';
import { BUNDLE_BUDGET_BYTES } from './coldstart.ts';
import type { BenchResults, Section } from './harness.ts';
import type { FanoutPoint } from './fanout.ts';
import { FIXED_PAGE, type RecordsSize } from './records.ts';
import type { RelayStep, SignalingStep } from './signaling.ts';
import { fmt, ratio, table, usd } from './stats.ts';
import { BUDGET_1V1, type Work, type WorkScenario } from './work.ts';

const ms = (v: number) => fmt(v, v < 10 ? 2 : 1);
const pcts = (p: { p50: number; p95: number; p99: number }) => `${ms(p.p50)} / ${ms(p.p95)} / ${ms(p.p99)}`;
const ops = (requests: Record<string, number>, names: readonly string[]) =>
  names
    .filter((n) => requests[n])
    .map((n) => `${n} ${requests[n]}`)
    .join(', ') || '0';
const READS = ['GetItem', 'Query', 'Scan', 'BatchGetItem'];
const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];
const check = (value: number, max: number) => (value <= max ? `${value} ≤ ${max} ✅` : `**${value} > ${max} ❌**`);

function failed(s: Section<unknown>): string | undefined {
  return s.ok ? undefined : `**This section failed** after ${s.seconds.toFixed(1)} s:\n\n\`\`\`\n${s.error}\n\`\`\``;
}

/** The whole `bench/REPORT.md`. */
export function renderReport(r: BenchResults): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('# CallSignal benchmark report', '');
  out.push(`Profile **${r.profile.name}** · command \`${r.command}\` · ${r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} · ${r.seconds.toFixed(0)} s in all`, '');
  out.push(`Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGb.toFixed(1)} GB memory (${m.freeMemoryGb.toFixed(1)} GB free at the end), Node ${m.node}, ${m.os}.`, '');
  out.push(
    'These machines are noisy. Every timed figure is a median or a percentile over repetitions (n is given), and every verdict is a ratio to a baseline measured in the same run: a raw `ws` relay for latency, dynalite’s own conditional-update rate for throughput, `/health` and the smallest record set for the REST API, a do-nothing handler for cold starts. Absolute times are this machine’s and are never asserted. The counted figures (work per call) are deterministic; `test/bench/budget.test.ts` asserts the 1v1 budget on them.',
    '',
  );
  out.push('## Headlines', '', ...headlines(r).map((h) => `- ${h}`), '');
  out.push(...workSection(r), ...signalingSection(r), ...fanoutSection(r.fanout), ...recordsSection(r.records), ...coldSection(r), ...methodSection(r));
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

function headlines(r: BenchResults): string[] {
  const h: string[] = [];
  if (r.work.ok) {
    const one = r.work.value.scenarios.find((s) => s.scenario.members === 2 && s.scenario.devices === 1 && !s.scenario.callbacks);
    if (one) {
      const w = one.work;
      const ok = w.dynamo.writes <= BUDGET_1V1.writes && w.dynamo.reads <= BUDGET_1V1.reads && w.framesOut <= BUDGET_1V1.framesOut;
      h.push(
        `Work of a 1v1 call (one device each, ring timer included): ${w.dynamo.writes} DynamoDB writes, ${w.dynamo.reads} reads, ${w.framesOut} frames out (${w.framesIn} in) — ${ok ? 'within' : '**over**'} the budget (≤ ${BUDGET_1V1.writes} writes, ≤ ${BUDGET_1V1.reads} reads, ≤ ${BUDGET_1V1.framesOut} frames out). It consumes ${fmt(w.dynamo.readUnits, 1)} RRU and ${fmt(w.dynamo.tableWriteUnits + w.dynamo.indexWriteUnits, 0)} WRU, of which ${fmt(w.dynamo.indexWriteUnits, 0)} on the indexes.`,
      );
      const withCallbacks = r.work.value.scenarios.find((s) => s.scenario.members === 2 && s.scenario.devices === 1 && s.scenario.callbacks);
      const c = scaleCost(costOf(w), 10_000);
      h.push(
        `Cost of 10,000 such calls at the assumed us-east-1 list prices: ${usd(c.total)} (DynamoDB ${usd(c.dynamo)}, WebSocket messages ${usd(c.wsMessages)}, Lambda ${usd(c.lambda)}, SQS ${usd(c.sqs)})${withCallbacks ? `; ${usd(scaleCost(costOf(withCallbacks.work), 10_000).total)} with every v4 callback configured` : ''}. A device kept connected for a month costs ${usd(deviceMonth(r.work.value.device.heartbeat).total)}, mostly its heartbeats.`,
      );
    }
  }
  if (r.signaling.ok) {
    const v = r.signaling.value;
    const first = v.inProcess[0];
    const relay1 = v.relayInProcess.find((x) => x.concurrency === first?.concurrency);
    const sepFirst = v.separate?.steps[0];
    const sepRelay = v.separate?.relay.find((x) => x.concurrency === sepFirst?.concurrency);
    if (first && relay1)
      h.push(
        `Signaling latency at M = ${first.concurrency}, in-process: invite→ring p50 ${ms(first.ring.p50)} ms, ${ratio(first.ring.p50, relay1.latency.p50, 0)} the raw \`ws\` relay’s ${ms(relay1.latency.p50)} ms; accept→begin ${ms(first.begin.p50)} ms; hangup→end ${ms(first.end.p50)} ms${sepFirst && sepRelay ? `. Stack in its own process: invite→ring ${ms(sepFirst.ring.p50)} ms, ${ratio(sepFirst.ring.p50, sepRelay.latency.p50, 0)} its relay’s ${ms(sepRelay.latency.p50)} ms` : ''}.`,
      );
    const last = v.inProcess[v.inProcess.length - 1];
    if (last?.dynamoPerLifecycle) {
      const floor = v.floor.concurrentPerSec / last.dynamoPerLifecycle;
      const sep = v.separate?.steps.find((x) => x.concurrency === last.concurrency);
      h.push(
        `Throughput at M = ${last.concurrency}: ${fmt(last.perSecond, 1)} lifecycles/s in-process${sep ? ` and ${fmt(sep.perSecond, 1)}/s with the stack in its own process` : ''}, against a storage floor of ${fmt(floor, 1)}/s (dynalite’s ${fmt(v.floor.concurrentPerSec, 0)} conditional updates/s ÷ ${fmt(last.dynamoPerLifecycle, 1)} requests per lifecycle): ${ratio(last.perSecond, floor)} of the floor${sep ? ` (${ratio(sep.perSecond, floor)} separate-process)` : ''}.`,
      );
    }
  }
  if (r.fanout.ok && r.fanout.value.length > 1) {
    const pts = r.fanout.value;
    const base = pts.reduce((a, b) => (b.deliveries < a.deliveries ? b : a));
    const top = pts.reduce((a, b) => (b.deliveries > a.deliveries ? b : a));
    h.push(`Fan-out: a group invite ringing ${top.deliveries} devices takes ${ms(top.lastRing.p50)} ms to its last ring against ${ms(base.lastRing.p50)} ms for ${base.deliveries}: ${ratio(top.lastRing.p50, base.lastRing.p50, 1)} the time for ×${top.deliveries / base.deliveries} the deliveries (they run concurrently).`);
  }
  if (r.records.ok && r.records.value.length > 1) {
    const sizes = r.records.value;
    const small = sizes[0]!;
    const big = sizes[sizes.length - 1]!;
    const fixed = (s: RecordsSize) => s.queries.find((q) => q.query.includes('same page'));
    const a = fixed(small);
    const b = fixed(big);
    if (a && b)
      h.push(
        `Records: the same page (${a.query.replace(/^get_record_by_filter, /, '').replace(/ \(.*/, '')}) reads ${fmt(a.page.units, 1)} RRU for the page itself with ${small.records.toLocaleString('en-US')} records and ${fmt(b.page.units, 1)} with ${big.records.toLocaleString('en-US')} (paging cost ${ratio(b.page.units, a.page.units)}). What grows is \`TotalNum\`: its per-minute counters cost ${fmt(a.totalNum.units, 1)} → ${fmt(b.totalNum.units, 1)} RRU (${ratio(b.totalNum.units, a.totalNum.units, 1)}), one item per shard and busy minute, bounded by 4 × 10,080 items per 7-day window but growing with the records until every minute of the week has calls. Whole request: ${ms(a.latency.p50)} → ${ms(b.latency.p50)} ms p50 (${ratio(b.latency.p50, a.latency.p50)}).`,
      );
  }
  if (r.coldStart.ok) {
    const c = r.coldStart.value;
    const slowest = c.functions.reduce((x, y) => (y.medianMs > x.medianMs ? y : x));
    const biggest = c.functions.reduce((x, y) => (y.bytes > x.bytes ? y : x));
    h.push(`Cold start: the largest bundle is ${biggest.name} (${fmt(biggest.bytes / 1024, 1)} KB of ${BUNDLE_BUDGET_BYTES / 1024} KB); the slowest import is ${slowest.name}, ${ms(slowest.medianMs)} ms median, ${ratio(slowest.medianMs, c.baseline.medianMs, 1)} a trivial handler’s ${ms(c.baseline.medianMs)} ms.`);
  }
  for (const [name, s] of Object.entries({ 'signaling': r.signaling, 'work per call': r.work, 'fan-out': r.fanout, 'records': r.records, 'cold start': r.coldStart })) if (!s.ok) h.push(`**The ${name} section failed** (see below).`);
  return h;
}

function workSection(r: BenchResults): string[] {
  const out = ['## 1. Work per call (counted)', ''];
  const err = failed(r.work);
  if (err || !r.work.ok) return [...out, err ?? '', ''];
  const { scenarios, device } = r.work.value;
  out.push(
    'Each scenario runs on a fresh set of users in one in-process stack: the caller invites everyone; each invitee accepts on her first device, one after the other; members then hang up one after the other (the caller first) until the call ends; the ring timers are then released (they find the call ended, exactly as at their deadline) and every queue drains. Each step settles before the next, so the figures are deterministic (concurrent accepts in a group would add version-conflict retries). Logins are not part of a call (they are counted below, per device).',
    '',
    `- **DynamoDB requests** are counted by an SDK middleware on the client every handler shares (\`instrumentDynamo\` option of the local runtime); ${
      scenarios.every((x) => x.work.served === x.work.dynamo.reads + x.work.dynamo.writes)
        ? 'dynalite’s own count of the requests it served agrees on every scenario.'
        : `**dynalite’s own count differs**: ${scenarios.map((x) => `${x.scenario.name}: ${x.work.served} served`).join('; ')}.`
    }`,
    '- **Capacity units**: the middleware adds `ReturnConsumedCapacity: "TOTAL"` to every request, and dynalite computes the units from item sizes (reads per 4 KB, halved when eventually consistent; writes per 1 KB). dynalite does not report **index writes**, so the middleware adds them by DynamoDB’s rules: an index entry is the table’s and the index’s keys, the projected attributes (gsi1: `record`; gsi2: keys only) and 100 bytes, a unit per 1 KB; a write costs an index that entry’s units when it puts the item in or takes it out or changes a projected attribute, twice when it changes the index key, and nothing otherwise. Writes refused by their condition count 1 WRU each (' +
      (scenarios.every((x) => x.work.dynamo.conditionFailures === 0) ? 'none happen here' : scenarios.map((x) => `${x.work.dynamo.conditionFailures} in ${x.scenario.name}`).join(', ')) +
      ').',
    '- **Frames** are counted by the local API Gateway: in (client → server; one route invocation each) and out (two-way route answers + `@connections` posts). API Gateway bills both directions.',
    `- **Queue messages**: sends to the timers and callbacks queues. The “+ callbacks” rows configure a v4 callback URL with all four commands (a local receiver answers ErrorCode 0); ${
      sameButCallbacks(scenarios) ? 'their DynamoDB and frame counts equal the row above: callbacks cost queue messages and worker invocations only (the worker reads the app and its callback configuration from its per-process cache).' : 'their DynamoDB counts differ from the row above by the worker\'s delivery records: each callback is delivered once per event (Powertools idempotency in the table: a conditional put when its delivery starts, an update once delivered), and the call item carries its transitions\' callback messages in its outbox, so its writes weigh more units.'
    }`,
    '',
  );
  const label = (s: WorkScenario) => (s.callbacks ? `${s.name} + callbacks` : s.name);
  out.push(
    table(
      ['scenario', 'frames in', 'frames out (answers + posts)', 'DynamoDB reads', 'DynamoDB writes', 'RRU', 'WRU table + index', 'timer msgs', 'callback msgs', 'Lambda invocations'],
      scenarios.map(({ scenario: s, work: w }) => [
        label(s),
        w.framesIn,
        `${w.framesOut} (${w.framesAnswered} + ${w.framesPosted})`,
        `${w.dynamo.reads} (${ops(w.dynamo.requests, READS)})`,
        `${w.dynamo.writes} (${ops(w.dynamo.requests, WRITES)})`,
        fmt(w.dynamo.readUnits, 1),
        `${fmt(w.dynamo.tableWriteUnits, 0)} + ${fmt(w.dynamo.indexWriteUnits, 0)}`,
        w.timers,
        w.callbacks,
        w.invocations,
      ]),
    ),
    '',
  );
  const one = scenarios.find((s) => s.scenario.members === 2 && s.scenario.devices === 1 && !s.scenario.callbacks)?.work;
  if (one) {
    out.push('### Budget (1v1, one device each)', '');
    out.push(
      table(
        ['figure', 'counted', 'verdict'],
        [
          ['DynamoDB writes', one.dynamo.writes, check(one.dynamo.writes, BUDGET_1V1.writes)],
          ['DynamoDB reads', one.dynamo.reads, check(one.dynamo.reads, BUDGET_1V1.reads)],
          ['WebSocket frames out', one.framesOut, check(one.framesOut, BUDGET_1V1.framesOut)],
        ],
      ),
      '',
    );
    out.push('Where the budget is exceeded, and why:', '', ...overBudget(scenarios, one).map((l) => `- ${l}`), '');
  }
  out.push('### Per device, apart from calls', '');
  out.push(
    table(
      ['what', 'frames in', 'frames out', 'DynamoDB', 'RRU', 'WRU', 'Lambda invocations'],
      [
        ['session: connect (authorizer, `$connect`), `login`, disconnect', device.session.framesIn, device.session.framesOut, `${device.session.dynamo.reads} reads, ${device.session.dynamo.writes} writes (${ops(device.session.dynamo.requests, [...READS, ...WRITES])})`, fmt(device.session.dynamo.readUnits, 1), fmt(device.session.dynamo.tableWriteUnits + device.session.dynamo.indexWriteUnits, 0), device.session.invocations],
        [`heartbeat (every ${ASSUMPTIONS.heartbeatSec} s)`, device.heartbeat.framesIn, device.heartbeat.framesOut, `${device.heartbeat.dynamo.reads} reads, ${device.heartbeat.dynamo.writes} writes (${ops(device.heartbeat.dynamo.requests, [...READS, ...WRITES])})`, fmt(device.heartbeat.dynamo.readUnits, 1), fmt(device.heartbeat.dynamo.tableWriteUnits + device.heartbeat.dynamo.indexWriteUnits, 0), device.heartbeat.invocations],
      ],
    ),
    '',
  );
  out.push(...costSection(r, scenarios, device), '');
  return out;
}

/** Whether every "+ callbacks" scenario did the same DynamoDB and frame work as its twin without callbacks. */
function sameButCallbacks(scenarios: { scenario: WorkScenario; work: Work }[]): boolean {
  return scenarios
    .filter((x) => x.scenario.callbacks)
    .every((x) => {
      const twin = scenarios.find((y) => !y.scenario.callbacks && y.scenario.name === x.scenario.name)?.work;
      return twin !== undefined && JSON.stringify(twin.dynamo.requests) === JSON.stringify(x.work.dynamo.requests) && twin.framesIn === x.work.framesIn && twin.framesOut === x.work.framesOut;
    });
}

function overBudget(scenarios: { scenario: WorkScenario; work: Work }[], one: Work): string[] {
  const lines: string[] = [];
  const base = (w: Work) => w.dynamo.writes <= BUDGET_1V1.writes && w.dynamo.reads <= BUDGET_1V1.reads && w.framesOut <= BUDGET_1V1.framesOut;
  if (!base(one)) lines.push(`**The 1v1 one-device lifecycle itself is over budget** (${one.dynamo.writes} writes, ${one.dynamo.reads} reads, ${one.framesOut} frames out).`);
  else lines.push(`The 1v1 one-device lifecycle is within budget: ${BUDGET_1V1.writes - one.dynamo.writes} write(s), ${BUDGET_1V1.reads - one.dynamo.reads} read(s) and ${BUDGET_1V1.framesOut - one.framesOut} frame(s) to spare. The budget is defined for that scenario only; the others are measured against it to show where work grows.`);
  for (const { scenario: s, work: w } of scenarios) {
    if (s.callbacks || (s.members === 2 && s.devices === 1)) continue;
    const over = [
      w.dynamo.writes > BUDGET_1V1.writes ? `${w.dynamo.writes} writes` : '',
      w.dynamo.reads > BUDGET_1V1.reads ? `${w.dynamo.reads} reads` : '',
      w.framesOut > BUDGET_1V1.framesOut ? `${w.framesOut} frames out` : '',
    ].filter(Boolean);
    if (!over.length) {
      lines.push(`${s.name}: within the 1v1 budget too.`);
      continue;
    }
    if (s.members === 2) {
      const extraDevices = 2 * (s.devices - 1);
      lines.push(
        `${s.name}: ${over.join(', ')} — by design, ${w.framesOut - one.framesOut} more frames than one device: each extra device of the callee rings (\`onCallReceived\`) and is then told to stop (\`onCallNotConnected\`, OtherDeviceAccepted), ${extraDevices / 2} extra device(s) × 2. DynamoDB work is ${w.dynamo.reads === one.dynamo.reads && w.dynamo.writes === one.dynamo.writes ? 'unchanged (a user’s devices share her partition: one Query finds them all)' : `${w.dynamo.reads} reads / ${w.dynamo.writes} writes`}.`,
      );
    } else {
      const n = s.members;
      lines.push(
        `${s.name}: ${over.join(', ')} — the call has ${n - 1} invitees: ${n - 1} accepts and ${n - 1} hangups (${w.framesIn} frames in), and each accept and each leave is told to every member still in the call, so frames out grow roughly with n² (${w.framesPosted} posts). DynamoDB grows linearly: per member a line claimed and released and a look-up of her devices, per action a read and a conditional update of the call item, then the record, its counter and the participant markers. Write units grow faster than writes: the call item grows with its members (${fmt((w.dynamo.tableWriteUnits + w.dynamo.indexWriteUnits) / w.dynamo.writes, 1)} WRU per write here, against ${fmt((one.dynamo.tableWriteUnits + one.dynamo.indexWriteUnits) / one.dynamo.writes, 1)} in a 1v1 call).`,
      );
    }
  }
  const idx = one.dynamo.indexWriteUnits;
  const tbl = one.dynamo.tableWriteUnits;
  if (idx > 0)
    lines.push(
      `Index writes: in a 1v1 call the indexes take ${fmt(idx, 0)} of ${fmt(idx + tbl, 0)} write units. The indexes project only what their queries read (gsi1 the record, gsi2 keys), so the call item, which grows with its members and changes at every step, costs gsi1 a small entry when the call starts and ends, and gsi2 a small delete and put each time its next deadline moves; the table write of the call item itself (over 1 KB once it has members and an outbox) is the larger part.`,
    );
  return lines;
}

function costSection(r: BenchResults, scenarios: { scenario: WorkScenario; work: Work }[], device: { session: Work; heartbeat: Work }): string[] {
  const out = ['### Cost per 10,000 calls', ''];
  const lambdaPerInvocation = PRICES.lambdaRequest + (ASSUMPTIONS.lambdaMemoryMb / 1024) * (ASSUMPTIONS.lambdaBilledMs / 1000) * PRICES.lambdaGbSecond;
  out.push(
    'Prices assumed (AWS list prices, us-east-1, no free tier; **check them before use**, they change): ' +
      [
        `Lambda arm64 $${PRICES.lambdaGbSecond} per GB-s and $${fmt(PRICES.lambdaRequest * 1e6, 2)} per million requests`,
        `DynamoDB on-demand $${fmt(PRICES.dynamoWru * 1e6, 3)} per million WRU and $${fmt(PRICES.dynamoRru * 1e6, 3)} per million RRU`,
        `API Gateway WebSocket $${fmt(PRICES.wsMessage * 1e6, 2)} per million messages (32 KB units) and $${fmt(PRICES.wsConnectionMinute * 1e6, 2)} per million connection minutes`,
        `HTTP API $${fmt(PRICES.httpRequest * 1e6, 2)} per million requests`,
        `SQS standard $${fmt(PRICES.sqsRequest * 1e6, 2)} per million requests`,
      ].join('; ') +
      '.',
    '',
    `Assumptions: every function has ${ASSUMPTIONS.lambdaMemoryMb} MB (the stack’s setting, ${ASSUMPTIONS.lambdaMemoryMb / 1024} GB) and is billed ${ASSUMPTIONS.lambdaBilledMs} ms per invocation (not measurable locally: dynalite is not DynamoDB; a round figure for a few 5–10 ms DynamoDB and \`@connections\` round trips); one Lambda invocation per frame in, per timer message and per callback message (SQS batches of one: the upper bound); ${ASSUMPTIONS.sqsRequestsPerMessage} SQS requests per message (send, receive, delete; the poller batches up to 10, so this is an upper bound); every frame is under 32 KB (one message each). Connection minutes are not per call: a device that can be called stays connected whether or not it is in a call, so they are in the per-device line below.`,
    '',
    'Formula, per call:',
    '',
    '```',
    `cost = RRU × ${PRICES.dynamoRru * 1e6}/M + (WRU table + WRU index) × ${PRICES.dynamoWru * 1e6}/M`,
    `     + (frames in + frames out) × ${PRICES.wsMessage * 1e6}/M`,
    `     + Lambda invocations × (${PRICES.lambdaRequest * 1e6}/M + ${ASSUMPTIONS.lambdaMemoryMb / 1024} GB × ${ASSUMPTIONS.lambdaBilledMs / 1000} s × ${PRICES.lambdaGbSecond})   [= $${lambdaPerInvocation.toExponential(3)} per invocation]`,
    `     + (timer messages + callback messages) × ${ASSUMPTIONS.sqsRequestsPerMessage} × ${PRICES.sqsRequest * 1e6}/M`,
    '```',
    '',
  );
  out.push(
    table(
      ['scenario', 'DynamoDB', 'WebSocket messages', 'Lambda', 'SQS', 'total per 10,000 calls', 'per call'],
      scenarios.map(({ scenario: s, work: w }) => {
        const c = scaleCost(costOf(w), 10_000);
        return [s.callbacks ? `${s.name} + callbacks` : s.name, usd(c.dynamo), usd(c.wsMessages), usd(c.lambda), usd(c.sqs), `**${usd(c.total)}**`, usd(c.total / 10_000)];
      }),
    ),
    '',
  );
  const month = deviceMonth(device.heartbeat);
  out.push(
    `Per device kept connected for a month (30 days): ${fmt(ASSUMPTIONS.monthMinutes, 0)} connection minutes = ${usd(month.connection)}, plus ${fmt(month.heartbeatsPerMonth, 0)} heartbeats (each ${device.heartbeat.framesIn} frame in, ${device.heartbeat.framesOut} out, ${device.heartbeat.invocations} invocation, ${device.heartbeat.dynamo.writes} write) = ${usd(month.heartbeats.total)} (messages ${usd(month.heartbeats.wsMessages)}, DynamoDB ${usd(month.heartbeats.dynamo)}, Lambda ${usd(month.heartbeats.lambda)}): **${usd(month.total)} per device-month**. Each (re)connection adds ${usd(costOf(device.session).total)}. At this heartbeat interval a device’s presence costs more than its calls unless it places thousands a month; a longer interval (API Gateway’s idle timeout is 10 minutes) is the lever.`,
    '',
  );
  if (r.records.ok) {
    const q = r.records.value[0]?.queries.find((x) => x.query === 'get_record_by_callid');
    if (q)
      out.push(
        `An app server that reads each call’s record once (\`get_record_by_callid\`: ${q.reads} read and ${q.writes} write per request — the write is the cross-instance rate limiter) adds per 10,000 calls: ${usd(10_000 * (PRICES.httpRequest + lambdaPerInvocation + q.readUnits * PRICES.dynamoRru + q.writes * PRICES.dynamoWru))} (HTTP API requests, Lambda, DynamoDB).`,
        '',
      );
  }
  return out;
}

function signalingSection(r: BenchResults): string[] {
  const out = ['## 2. Signaling latency and throughput', ''];
  const err = failed(r.signaling);
  if (err || !r.signaling.ok) return [...out, err ?? '', ''];
  const v = r.signaling.value;
  out.push(
    `M pairs of virtual users (one device each, real WebSockets) run 1v1 lifecycles at once: \`calls\` → ring → \`accept\` → begin → \`hangup\` → end, ${Object.entries(r.profile.signaling.rounds)
      .filter(([k]) => r.profile.signaling.concurrency.includes(Number(k)))
      .map(([k, n]) => `${n} per pair at M = ${k}`)
      .join(', ')}, after one unmeasured lifecycle on up to 10 pairs. Each latency runs from the sender handing its frame to the socket to the *other* party receiving the event: invite→ring at the callee, accept→begin at the caller, hangup→end at the callee. Each M runs on a fresh stack; ring timeouts are 300 s, so no timer fires during a step (their work is in section 1). ${r.profile.signaling.concurrency.includes(200) ? '' : 'M = 200 runs with `--full`.'}`,
    '',
    `**Baselines, same run.** Latency: a raw \`ws\` relay (client → server → other client, no state, same frame shape), with M pairs ping-ponging ${r.profile.relay.exchanges} times each — the physical floor of one hop on this machine. Throughput: dynalite’s own conditional-update rate through the SDK client — ${fmt(v.floor.sequentialPerSec, 0)}/s sequential, **${fmt(v.floor.concurrentPerSec, 0)}/s** with ${v.floor.concurrency} concurrent updaters — divided by the DynamoDB requests a lifecycle made in the step (dynalite’s count): the storage floor in lifecycles/s.`,
    '',
  );
  const variant = (title: string, steps: SignalingStep[], relay: RelayStep[], note: string) => {
    out.push(`### ${title}`, '', note, '');
    out.push(
      table(
        ['M', 'lifecycles (errors)', 'lifecycles/s', 'invite→ring p50 / p95 / p99 ms', 'accept→begin p50 / p95 / p99', 'hangup→end p50 / p95 / p99', 'relay hop p50 / p95 / p99', 'ring p50 ÷ relay p50', 'DynamoDB req / lifecycle', 'storage floor /s', 'throughput ÷ floor'],
        steps.map((s) => {
          const rl = relay.find((x) => x.concurrency === s.concurrency);
          const perLifecycle = s.dynamoPerLifecycle ?? v.inProcess.find((x) => x.concurrency === s.concurrency)?.dynamoPerLifecycle;
          const floor = perLifecycle ? v.floor.concurrentPerSec / perLifecycle : Number.NaN;
          return [
            s.concurrency,
            `${s.lifecycles} (${s.errors})`,
            fmt(s.perSecond, 1),
            pcts(s.ring),
            pcts(s.begin),
            pcts(s.end),
            rl ? pcts(rl.latency) : '–',
            rl ? ratio(s.ring.p50, rl.latency.p50, 0) : '–',
            perLifecycle ? `${fmt(perLifecycle, 1)}${s.dynamoPerLifecycle ? '' : '*'}` : '–',
            fmt(floor, 1),
            ratio(s.perSecond, floor),
          ];
        }),
      ),
      '',
    );
  };
  variant('In-process', v.inProcess, v.relayInProcess, 'The stack (handlers, dynalite, local API Gateway) and the virtual users share one Node process, so one core; the relay baseline runs in this process too.');
  if (v.separate)
    variant(
      'Separate process',
      v.separate.steps,
      v.separate.relay,
      'The stack runs in its own Node process (`lib/local/main.ts`, as `npm start`), the virtual users in this one; the relay baseline likewise runs in a child process. *DynamoDB requests per lifecycle are taken from the in-process step at the same M (same code path; the child’s counters are not reachable).',
    );
  else out.push('### Separate process', '', 'Not run in this profile (`npm run bench` runs it; the smoke profile skips it to stay within seconds).', '');
  out.push(
    'Reading the ratios: latency above the relay is the work of a hop (Lambda handler, DynamoDB round trips, `@connections` post) on a shared CPU; throughput below the floor means the bottleneck is not storage but the CPU the handlers, the local API Gateway and the SDK clients share with dynalite (2 cores here).',
    '',
  );
  return out;
}

function fanoutSection(s: Section<FanoutPoint[]>): string[] {
  const out = ['## 3. Fan-out', ''];
  const err = failed(s);
  if (err || !s.ok) return [...out, err ?? '', ''];
  const pts = s.value;
  const base = pts.reduce((a, b) => (b.deliveries < a.deliveries ? b : a));
  out.push(
    `A caller invites everyone at once; each invitee has the given number of devices (multi-device on), all ringing. Time from \`calls\` sent to the first and to the last device ringing, over ${pts[0]?.lastRing.n ?? 0} repetitions after one warm-up (in-process stack). Members count the caller (9 is the most a call holds). Ratios are to the smallest point (${base.deliveries} delivery).`,
    '',
  );
  out.push(
    table(
      ['members', 'devices per invitee', 'deliveries (ringing devices)', 'first ring p50 ms', 'last ring p50 / p95 ms', 'last ring ÷ smallest', 'deliveries ÷ smallest', 'DynamoDB requests', 'frames posted'],
      pts.map((p) => [p.members, p.devices, p.deliveries, ms(p.firstRing.p50), `${ms(p.lastRing.p50)} / ${ms(p.lastRing.p95)}`, ratio(p.lastRing.p50, base.lastRing.p50, 1), `×${p.deliveries / base.deliveries}`, p.dynamoRequests, p.framesPosted]),
    ),
    '',
  );
  const top = pts.reduce((a, b) => (b.deliveries > a.deliveries ? b : a));
  out.push(
    `Deliveries are concurrent: ×${top.deliveries / base.deliveries} deliveries cost ${ratio(top.lastRing.p50, base.lastRing.p50, 1)} the time (last ring). DynamoDB requests grow with members (one Query per invitee finds all her devices, one line claimed per invitee), not with devices.`,
    '',
  );
  return out;
}

function recordsSection(s: Section<RecordsSize[]>): string[] {
  const out = ['## 4. Records scaling', ''];
  const err = failed(s);
  if (err || !s.ok) return [...out, err ?? '', ''];
  const sizes = s.value;
  const small = sizes[0]!;
  out.push(
    'The window (the last 7 days) holds N records, written straight to the table as clones of a real call’s record item, spread over the week, with the per-minute counters the record store keeps (4 shards). Each query goes over HTTP through the admin REST API (UserSig auth, the rate limiter, the handler); latency over repetitions after one warm-up. DynamoDB figures are per request (median): “page” is the Query on gsi1 that reads the records up to the page (those before it are read and skipped), “TotalNum” the counter Queries plus a COUNT of the partial minutes at both ends. Every request also makes one write: the cross-instance rate limiter.',
    '',
  );
  const rows: (string | number)[][] = [];
  for (const size of sizes) {
    for (const q of size.queries) {
      // The middle page of the smallest set may be the fixed page (then it has no row of its own).
      const ref =
        small.queries.find((x) => x.query === q.query) ??
        (q.query.includes('middle') ? small.queries.find((x) => x.query.includes('middle')) ?? small.queries.find((x) => x.query.includes('same page')) : undefined);
      rows.push([
        size.records.toLocaleString('en-US'),
        q.query,
        `${ms(q.latency.p50)} / ${ms(q.latency.p95)}`,
        ratio(q.latency.p50, size.health.p50, 0),
        size === small ? '×1' : ref ? ratio(q.latency.p50, ref.latency.p50) : '–',
        `${q.reads} + ${q.writes}`,
        fmt(q.readUnits, 1),
        q.page.requests ? `${fmt(q.page.units, 1)} (${q.page.requests})` : '–',
        q.totalNum.requests ? `${fmt(q.totalNum.units, 1)} (${q.totalNum.requests})` : '–',
        q.returned,
      ]);
    }
  }
  out.push(table(['records', 'query', 'latency p50 / p95 ms', '÷ /health p50', '÷ same query at smallest N', 'DynamoDB reads + writes', 'RRU', 'page RRU (requests)', 'TotalNum RRU (requests)', 'returned'], rows), '');
  out.push(`\`/health\` round trip (the HTTP floor), p50: ${sizes.map((x) => `${ms(x.health.p50)} ms at ${x.records.toLocaleString('en-US')}`).join(', ')}. Seeding took ${sizes.map((x) => `${fmt(x.seedSec, 1)} s`).join(', ')} (not part of any figure).`, '');
  const big = sizes[sizes.length - 1]!;
  const fixed = (x: RecordsSize) => x.queries.find((q) => q.query.includes('same page'));
  const first = (x: RecordsSize) => x.queries.find((q) => q.query.includes('page 1 '));
  const mid = (x: RecordsSize) => x.queries.find((q) => q.query.includes('middle'));
  if (big !== small && fixed(small) && fixed(big)) {
    out.push(
      `Paging cost does not grow with the total: the page’s own read units stay the same from ${small.records.toLocaleString('en-US')} to ${big.records.toLocaleString('en-US')} records (page 1: ${ratio(first(big)!.page.units, first(small)!.page.units)}, page ${FIXED_PAGE}: ${ratio(fixed(big)!.page.units, fixed(small)!.page.units)}). It grows with the page asked for, as documented${mid(big) ? `: the middle page of ${big.records.toLocaleString('en-US')} records (page ${/page (\d+) of/.exec(mid(big)!.query)?.[1]}) reads ${fmt(mid(big)!.page.units, 1)} RRU` : ''}. \`TotalNum\` costs ${fmt(fixed(small)!.totalNum.units, 1)} → ${fmt(fixed(big)!.totalNum.units, 1)} RRU: the counters are one item per shard and minute that had a call, so their read grows with the busy minutes of the window until every minute has one (4 × 10,080 items per 7-day window), whatever the number of records after that — a daily or hourly roll-up of old minutes would bound it lower.`,
      '',
    );
  }
  return out;
}

function coldSection(r: BenchResults): string[] {
  const out = ['## 5. Cold start', ''];
  const err = failed(r.coldStart);
  if (err || !r.coldStart.ok) return [...out, err ?? '', ''];
  const { baseline, functions } = r.coldStart.value;
  out.push(
    `Each function is bundled exactly as the stack bundles it (\`cdk/bundling.ts\`: esbuild, minified ESM, node22), and imported ${baseline.importMs.length} time(s) in a fresh Node process, interleaved, with a deployed function’s environment (\`AWS_LAMBDA_FUNCTION_NAME\` set, so the handler builds its clients at import as at a Lambda cold start; nothing is contacted). Baseline: a do-nothing handler bundled the same way. Times are Node’s import on this machine, not Lambda’s INIT (which adds the runtime’s own start).`,
    '',
  );
  out.push(
    table(
      ['function', 'bundle KB', 'budget', 'AWS SDK', 'import median ms', 'runs (ms)', '÷ trivial handler'],
      [
        [`trivial handler (baseline)`, fmt(baseline.bytes / 1024, 1), '', 'none', ms(baseline.medianMs), baseline.importMs.map((x) => fmt(x, 0)).join(', '), '×1'],
        ...functions.map((f) => [f.name, fmt(f.bytes / 1024, 1), f.bytes <= BUNDLE_BUDGET_BYTES ? '✅ ≤ 400' : '❌ > 400', f.sdkFromRuntime ? 'runtime’s (read from node_modules here)' : 'bundled', ms(f.medianMs), f.importMs.map((x) => fmt(x, 0)).join(', '), ratio(f.medianMs, baseline.medianMs, 1)]),
      ],
    ),
    '',
  );
  const sdk = functions.find((f) => f.sdkFromRuntime);
  if (sdk) out.push(`${sdk.name} leaves the AWS SDK to the Lambda runtime (\`SDK_FROM_RUNTIME\`): smaller, but its import is the slowest, as TOOLCHAIN.md measured (bundling the SDK imports faster).`, '');
  return out;
}

function methodSection(r: BenchResults): string[] {
  return [
    '## Method and limits',
    '',
    '- The local runtime runs the real Lambda handlers with dynalite, an emulated API Gateway and in-process queues. Its latencies are this machine’s CPU and dynalite, not AWS’s network and DynamoDB; they are for comparing changes, through the ratios.',
    '- Virtual users do not heartbeat (heartbeat expiry and the sweeper tick are off while benchmarks run); everything else runs with the documented timing.',
    '- Not counted per call: a minute after a call ends the sweeper reads its record once (1 read; the call is then finished if the record is missing). Per sweep, whatever the load: 1 read and at most 1 write of its cursor and 16 index queries (`test/integration/work-per-call.test.ts` counts them).',
    '- Counted figures need no repetition: they are the same on every run. Timed figures report n; p99 over fewer than 100 samples is close to the maximum.',
    `- Sections took: work ${r.work.seconds.toFixed(0)} s, signaling ${r.signaling.seconds.toFixed(0)} s, fan-out ${r.fanout.seconds.toFixed(0)} s, records ${r.records.seconds.toFixed(0)} s, cold start ${r.coldStart.seconds.toFixed(0)} s.`,
    '- Reproduce: `npm run bench` (quick, this report) or `npm run bench -- --full` (M = 200, fan-out 2..9 members × 1..4 devices, 100k records, 10 cold imports). Sources in `bench/`.',
    '',
  ];
}
