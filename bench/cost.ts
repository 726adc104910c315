import type { Work } from './work.ts';

/**
 * AWS list prices assumed for us-east-1 (USD), without free tiers. They change: check them on the
 * AWS pricing pages before relying on any figure computed from them.
 */
export const PRICES = {
  lambdaGbSecond: 0.0000133334, // arm64, first 7.5 billion GB-s / month
  lambdaRequest: 0.2 / 1e6,
  dynamoWru: 0.625 / 1e6, // on-demand write request unit
  dynamoRru: 0.125 / 1e6, // on-demand read request unit
  wsMessage: 1.0 / 1e6, // API Gateway WebSocket, first billion messages / month, per 32 KB
  wsConnectionMinute: 0.25 / 1e6,
  httpRequest: 1.0 / 1e6, // HTTP API, first 300 million / month
  sqsRequest: 0.4 / 1e6, // standard queue, per 64 KB chunk
} as const;

/** What the formula assumes beyond the counts (stated in the report). */
export const ASSUMPTIONS = {
  /** Every function's memory (cdk/constructs/signal-function.ts: 256 MB = 0.25 GB as Lambda bills it). */
  lambdaMemoryMb: 256,
  /** Billed duration per invocation: not measurable locally (dynalite is not DynamoDB); a round figure for a few ~5–10 ms DynamoDB and @connections round trips. */
  lambdaBilledMs: 50,
  /** SQS requests per queue message: SendMessage, then the Lambda poller's ReceiveMessage and DeleteMessage — upper bound (the poller batches up to 10). */
  sqsRequestsPerMessage: 3,
  /** Heartbeat interval (README: 30 s) and a month of always-connected device. */
  heartbeatSec: 30,
  monthMinutes: 30 * 24 * 60,
} as const;

export interface CostLines {
  dynamo: number;
  wsMessages: number;
  lambda: number;
  sqs: number;
  total: number;
}

/** Cost of one unit of counted work (a call, a device session, a heartbeat). */
export function costOf(w: Work): CostLines {
  const dynamo = w.dynamo.readUnits * PRICES.dynamoRru + (w.dynamo.tableWriteUnits + w.dynamo.indexWriteUnits) * PRICES.dynamoWru;
  const wsMessages = (w.framesIn + w.framesOut) * PRICES.wsMessage;
  const lambda = w.invocations * (PRICES.lambdaRequest + (ASSUMPTIONS.lambdaMemoryMb / 1024) * (ASSUMPTIONS.lambdaBilledMs / 1000) * PRICES.lambdaGbSecond);
  const sqs = (w.timers + w.callbacks) * ASSUMPTIONS.sqsRequestsPerMessage * PRICES.sqsRequest;
  return { dynamo, wsMessages, lambda, sqs, total: dynamo + wsMessages + lambda + sqs };
}

export const scaleCost = (c: CostLines, n: number): CostLines => ({ dynamo: c.dynamo * n, wsMessages: c.wsMessages * n, lambda: c.lambda * n, sqs: c.sqs * n, total: c.total * n });

/** A device connected all month: connection minutes plus a heartbeat every `heartbeatSec`. */
export function deviceMonth(heartbeat: Work): { connection: number; heartbeats: CostLines; total: number; heartbeatsPerMonth: number } {
  const heartbeatsPerMonth = (ASSUMPTIONS.monthMinutes * 60) / ASSUMPTIONS.heartbeatSec;
  const connection = ASSUMPTIONS.monthMinutes * PRICES.wsConnectionMinute;
  const heartbeats = scaleCost(costOf(heartbeat), heartbeatsPerMonth);
  return { connection, heartbeats, total: connection + heartbeats.total, heartbeatsPerMonth };
}
