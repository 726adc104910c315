/** Renders `bench/SOAK.md` (and the JSON figures) from a soak run. */
import { fmt, quantile, table } from '../stats.ts';
import { SCENARIOS } from './load.ts';
import { splitResources } from './protocol.ts';
import { mb, type SoakResults } from './run.ts';
import { drift, fmtClock, growth, latencyByMinute, memoryRows, pooledDrift, resultsByScenario } from './summary.ts';
import { nearStart } from './verify.ts';
import { reading } from './reading.ts';

const ok = (good: boolean) => (good ? '✅' : '❌');
const ms = (x: number) => `${fmt(x, 1)} ms`;

function header(r: SoakResults, command: string): string {
  const m = r.machine;
  const when = r.startedAt.replace('T', ' ').slice(0, 19);
  const load = r.generator.map((g) => g.loadAverage);
  const own = (mean(r.samples.map((x) => x.sample.cpuPercent)) + mean(r.generator.map((g) => g.cpuPercent))) / 100;
  return [
    '# CallSignal soak report',
    '',
    `\`${command}\` · ${when} UTC · commit ${r.code.commit}${r.code.dirty ? ' with uncommitted changes in lib/ or functions/' : ''} · ${fmt(r.wallSeconds / 60, 1)} min in all · **${r.verdict.pass ? 'PASS' : 'FAIL'}**`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${fmt(m.memoryGb, 1)} GB memory, Node ${m.node}, ${m.os}. The local runtime (\`startLocalRuntime\`: dynalite in memory, the WebSocket and HTTP gateways, the queues, the real handlers) runs alone in a child process started with \`--expose-gc\`; the load generator and the callback receiver run in the parent, so the server's memory, handles and timers are its own. The machine's 1-minute load average during the load: ${fmt(quantile(load, 0.5), 2)} median, ${fmt(Math.max(...load), 2)} at most, of which the soak's own two processes account for about ${fmt(own, 2)}: the rest is other work on the machine competing for its ${m.cores} cores.`,
  ].join('\n');
}

function parameters(r: SoakResults): string {
  const t = r.timing;
  const rows: [string, string][] = [
    ['load', `${fmtClock(r.options.durationSec * 1000)} at ${fmt(r.options.rate, 1)} scenario starts/s (≈ calls/s) and ${fmt(r.options.churnPerSec, 1)} churn operations/s, seed ${r.options.seed}`],
    ['users', `${r.pool.users} (${Object.entries(r.pool.byKind).map(([k, n]) => `${n} ${k}`).join(', ')}), ${r.pool.connections} connections at the start`],
    ['apps', 'a multi-device app (default policy, ≤ 4 devices per platform) and a single-device app (`loginPolicy: single`); both send every v4 callback to the receiver'],
    ['ring timeouts', `${r.view.ringSec} s for calls meant to be answered, rejected or cancelled; ${r.view.shortRingSec} s for ring-timeout calls (server floor ${t.minRingTimeoutSec} s)`],
    ['server timing', `disconnect grace ${t.disconnectGraceSec} s, heartbeats every ${t.heartbeatIntervalSec} s (dead after ${t.heartbeatTimeoutSec} s), sweeper every ${t.sweeperPeriodSec} s`],
    ['samples', `every ${fmtClock(r.samples[1] ? r.samples[1].atMs - r.samples[0]!.atMs : r.options.durationSec * 1000)}; a full GC before the sample at each minute mark, at the middle, at the start and at the end`],
  ];
  return ['## Parameters', '', table(['', ''], rows)].join('\n');
}

function invariants(r: SoakResults): string {
  const v = r.verdict;
  const equal = v.started === v.records && v.records === v.afterEnd && !v.missingRecords.length && !v.missingAfterEnd.length && !v.unexpectedRecords.length && !v.unexpectedAfterEnd.length;
  const rows = [
    ['calls started == records written == AfterEndCall delivered', `${v.started} == ${v.records} == ${v.afterEnd}`, ok(equal)],
    ['AfterEndCall CallResult == record CallResult', `${v.resultMismatches.length} differ`, ok(!v.resultMismatches.length)],
    ['AfterStartCall delivered (distinct calls)', `${v.afterStart}`, v.afterStart === v.started ? '✅' : 'ℹ️'],
    ['callbacks delivered twice (same EventId)', `${r.delivered.duplicates}`, 'ℹ️'],
    ['calls still live after draining', `${r.audit.liveCalls.length}`, ok(!r.audit.liveCalls.length)],
    ['user lines still busy after draining', `${r.audit.busyLines.length}`, ok(!r.audit.busyLines.length)],
    ['open handles: start → middle → end', `${v.handles.start} → ${v.handles.middle ?? '–'} → ${v.handles.end}`, ok(nearStart(v.handles.start, v.handles.end))],
    ['timers: start → middle → end', `${v.timers.start} → ${v.timers.middle ?? '–'} → ${v.timers.end}`, ok(nearStart(v.timers.start, v.timers.end))],
    ['queues drained (timers, callbacks), every AfterEndCall in', `in ${fmt(r.drain.seconds, 1)} s; end read ${fmt(r.drain.quietAfterMs / 1000, 1)} s later, once no keep-alive socket was open`, ok(r.drain.drained)],
    ['scenario steps that broke the protocol', `${r.ledger.errorCount}`, ok(!r.ledger.errorCount)],
    ['server error log lines', `${r.log.errorLines}`, ok(!r.log.errorLines)],
    ['server exited by itself after close', `exit ${r.exit.code}`, ok(r.exit.clean)],
  ];
  const problems = v.problems.length ? ['', '**Problems:**', '', ...v.problems.map((p) => `- ${p}`)] : [];
  return ['## Invariants', '', table(['check', 'value', ''], rows), ...problems].join('\n');
}

function traffic(r: SoakResults): string {
  const startedBy = new Map<string, number>();
  for (const s of r.ledger.started.values()) startedBy.set(s.scenario, (startedBy.get(s.scenario) ?? 0) + 1);
  const names = [...SCENARIOS.map((s) => s.name), 'churn'];
  const weight = (n: string) => SCENARIOS.find((s) => s.name === n)?.weight ?? '–';
  const rows = names.map((n) => {
    const c = r.ledger.scenarios[n] ?? { ran: 0, ok: 0, failed: 0, skipped: 0 };
    return [n, weight(n), c.ran, c.ok, c.failed, c.skipped, startedBy.get(n) ?? 0];
  });
  const { results, rows: byResult } = resultsByScenario(r);
  const counters = Object.entries(r.ledger.counters).sort().map(([k, n]) => `${k} ${n}`).join(', ');
  const callbacks = Object.entries(r.delivered.byCommand).sort().map(([k, n]) => `${k.replace('Call.Callback', '')} ${n}`).join(', ');
  return [
    '## Traffic',
    '',
    `${r.ledger.started.size} calls started in ${fmtClock(r.options.durationSec * 1000)} (${fmt(r.ledger.started.size / r.options.durationSec, 2)}/s); ${r.load.scenariosStarted} scenario and ${r.load.churnStarted} churn starts, at most ${r.load.peakInFlight} running at once.`,
    '',
    table(['scenario', 'weight', 'ran', 'ok', 'failed', 'skipped (no free users)', 'calls started'], rows),
    '',
    `Connections and events: ${counters}.`,
    '',
    `Callbacks received by command: ${callbacks}.`,
    '',
    'Records (read back through `get_record_by_filter`) by scenario and `CallResult`:',
    '',
    table(['scenario', ...results], byResult.map(([s, row]) => [s, ...results.map((x) => row[x] ?? 0)])),
  ].join('\n');
}

function latency(r: SoakResults): string {
  const calls = latencyByMinute(r, 'calls');
  const accept = latencyByMinute(r, 'accept');
  const rows = calls.map((c, i) => {
    const a = accept[i];
    return [c.minute + 1, c.n, ms(c.p50), ms(c.p99), a?.n ?? 0, ms(a?.p50 ?? Number.NaN), ms(a?.p99 ?? Number.NaN)];
  });
  const d = (name: string, x: ReturnType<typeof drift>) => {
    if (!x) return `${name}: one minute only, no drift to compute`;
    const steady = x.steady ? `, or from the second minute (after the warm-up) ${ms(x.steady.first)} → ${ms(x.last)} (×${fmt(x.steady.ratio, 2)})` : '';
    return `${name} p99 ${ms(x.first)} in the first minute → ${ms(x.last)} in the last (×${fmt(x.ratio, 2)})${steady}`;
  };
  const lag = r.load.lagMs;
  const gen = r.generator;
  return [
    '## Latency (request → answer at the client)',
    '',
    table(['minute', 'calls n', 'calls p50', 'calls p99', 'accept n', 'accept p50', 'accept p99'], rows),
    '',
    `Drift: ${d('calls', drift(calls))}; ${d('accept', drift(accept))}.`,
    ...pooledLines(r),
    '',
    'Over the whole run, by scenario:',
    '',
    byScenario(r),
    '',
    `The generator kept its schedule: scenario starts were late by ${ms(quantile(lag, 0.5))} p50 and ${ms(quantile(lag, 0.99))} p99; its own event loop delay p99 was at most ${ms(Math.max(0, ...gen.map((g) => g.loopP99)))} and it used ${fmt(mean(gen.map((g) => g.cpuPercent)), 0)}% of a core on average.`,
  ].join('\n');
}

function pooledLines(r: SoakResults): string[] {
  const rows = (['calls', 'accept'] as const).flatMap((kind) => {
    const p = pooledDrift(r, kind);
    return p ? [[kind, ...[p.early, p.late].flatMap((x) => [ms(x.p50), ms(x.p95), ms(x.p99)]), `×${fmt(p.late.p99 / p.early.p99, 2)}`]] : [];
  });
  if (!rows.length) return [];
  const { early, late } = pooledDrift(r, 'calls')!;
  return ['', `Pooled over minutes ${early.minutes} (after the warm-up) and over the last three, ${late.minutes}:`, '', table(['', `p50 ${early.minutes}`, 'p95', 'p99', `p50 ${late.minutes}`, 'p95', 'p99', 'p99 drift'], rows)];
}

function byScenario(r: SoakResults): string {
  const { calls, accept } = r.ledger.latencyByScenario;
  const names = SCENARIOS.map((s) => s.name).filter((n) => calls[n]?.length || accept[n]?.length);
  const cell = (xs: number[] | undefined, q: number) => (xs?.length ? ms(quantile(xs, q)) : '–');
  return table(
    ['scenario', 'calls n', 'calls p50', 'calls p99', 'accept n', 'accept p50', 'accept p99'],
    names.map((n) => [n, calls[n]?.length ?? 0, cell(calls[n], 0.5), cell(calls[n], 0.99), accept[n]?.length ?? 0, cell(accept[n], 0.5), cell(accept[n], 0.99)]),
  );
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

function memory(r: SoakResults): string {
  const rows = memoryRows(r);
  const g = growth(rows);
  const body = rows.map((x) => [x.label, x.callsSoFar, mb(x.sample.rss), mb(x.sample.heapBeforeGc), mb(x.sample.heapUsed), mb(x.sample.external), x.sample.storeIterators ?? '–', x.handles, x.timers, `${fmt(x.cpuPercent, 0)}%`, ms(x.loopP99), ms(x.loopMax)]);
  const signed = (b: number) => `${b >= 0 ? '+' : ''}${mb(b)}`;
  const growthLine = g
    ? `Growth from ${g.fromLabel} to ${g.toLabel} (${g.calls} calls): live heap ${signed(g.heapBytes)}, external ${signed(g.externalBytes)} (together ${fmt(g.perCallBytes / 1024, 1)} KB per call), rss ${signed(g.rssBytes)}.`
    : 'The run is too short for a growth figure (it needs two GC samples during the load).';
  const a = r.audit;
  const kinds = Object.entries(a.byKind).sort().map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    '## Memory and resources of the server process',
    '',
    "Each row is a sample taken right after a full GC (`heap after GC` is the live heap); `heap before GC` is what the process held just before it; `external` is memory outside the JS heap (Buffers, ArrayBuffers); `store iterators` are the iterators dynalite's in-memory store has open (one per Query or Scan while it runs). CPU and event-loop delay (p99, and the longest stall) cover the samples since the previous row.",
    '',
    table(['when', 'calls so far', 'rss', 'heap before GC', 'heap after GC', 'external', 'store iterators', 'handles', 'timers', 'CPU', 'loop p99', 'loop max'], body),
    '',
    growthLine,
    `The table held ${a.items} items at the end (${kinds}), about ${mb(a.bytes)} of item data, all in dynalite's in-memory store inside this process.`,
    '',
    resources(r),
  ].join('\n');
}

function resources(r: SoakResults): string {
  const points = [['start', r.checkpoints.start], ['middle', r.checkpoints.middle], ['end', r.checkpoints.end]] as const;
  const types = [...new Set(points.flatMap(([, s]) => Object.keys(s?.resources ?? {})))].sort();
  const rows = types.map((t) => [t, ...points.map(([, s]) => (s ? (s.resources[t] ?? 0) : '–'))]);
  const peers = [...new Set(points.flatMap(([, s]) => Object.keys(s?.sockets ?? {})))].sort();
  const socketRows = peers.map((t) => [t, ...points.map(([, s]) => (s ? (s.sockets[t] ?? 0) : '–'))]);
  const left = Object.entries(r.exit.leftOpen).map(([k, n]) => `${k} ${n}`).join(', ') || 'nothing';
  return [
    '`process.getActiveResourcesInfo()` by type (`Timeout` are timers):',
    '',
    table(['type', ...points.map(([p]) => p)], rows),
    '',
    'The `TCPSocketWrap` entries by what they connect:',
    '',
    socketRows.length ? table(['socket', ...points.map(([p]) => p)], socketRows) : 'none at any of the three points.',
    '',
    `After \`close()\` of the runtime, still active: ${left}; the process then exited with ${r.exit.code}${r.exit.clean ? ' by itself' : ' (it had to be killed)'}.`,
  ].join('\n');
}

function serverCounters(r: SoakResults): string {
  const last = r.checkpoints.end;
  const metrics = Object.entries(last.metrics).filter(([k]) => !k.includes(':')).sort().map(([k, n]) => `${k} ${n}`).join(', ');
  const q = last.queues;
  return [
    '## The server\'s own counters (at the end)',
    '',
    `Metrics: ${metrics || 'none'}. WebSocket frames: ${last.frames.in} in, ${last.frames.answered} answered, ${last.frames.posted} posted. DynamoDB requests served: ${last.dynamoRequests}. Callbacks dead-lettered: ${q.callbacksDlq.visible + q.callbacksDlq.delayed + q.callbacksDlq.inFlight}.`,
  ].join('\n');
}

function errors(r: SoakResults): string {
  if (!r.ledger.errorCount && !r.log.errorLines) return '';
  const rows = r.ledger.errors.map((e) => [fmtClock(e.atMs), e.scenario, e.step, e.callId ?? '–', e.message]);
  const logLines = r.log.firstErrors.map((l) => `    ${l}`);
  return [
    '## Scenario errors and server error lines',
    '',
    r.ledger.errorCount ? table(['at', 'scenario', 'step', 'call', 'what'], rows) : 'No scenario error.',
    ...(r.ledger.errorCount > rows.length ? ['', `(${r.ledger.errorCount - rows.length} more not listed)`] : []),
    ...(logLines.length ? ['', `First of the ${r.log.errorLines} server error line(s):`, '', ...logLines] : []),
  ].join('\n');
}

/** The Markdown report. */
export function renderSoakReport(r: SoakResults, command: string): string {
  const sections = [header(r, command), `## Reading\n\n${reading(r)}`, parameters(r), invariants(r), traffic(r), latency(r), memory(r), serverCounters(r), errors(r)];
  return `${sections.filter(Boolean).join('\n\n')}\n`;
}

/** The figures as JSON (`--json`): everything in the report, with every id of every problem. */
export function soakJson(r: SoakResults): unknown {
  return {
    ...r,
    ledger: { started: Object.fromEntries(r.ledger.started), latency: r.ledger.latency, latencyByScenario: r.ledger.latencyByScenario, scenarios: r.ledger.scenarios, errors: r.ledger.errors, errorCount: r.ledger.errorCount, counters: r.ledger.counters },
    records: Object.fromEntries(r.records),
    delivered: { ...r.delivered, afterEnd: Object.fromEntries(r.delivered.afterEnd), afterStart: Object.fromEntries(r.delivered.afterStart) },
    resources: { start: splitResources(r.checkpoints.start.resources), end: splitResources(r.checkpoints.end.resources) },
  };
}
