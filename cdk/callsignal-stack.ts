import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { ACTION_SCHEMAS } from '../lib/ws/schemas.ts';
import { SignalFunction } from './constructs/signal-function.ts';
import { signalHttpApi } from './constructs/signal-http-api.ts';
import { SignalMonitoring } from './constructs/signal-monitoring.ts';
import { SignalingWebSocketApi } from './constructs/signaling-web-socket-api.ts';
import { tableFromSchema } from './constructs/table-from-schema.ts';

/** Deployment knobs of one CallSignal stack (from CDK context, see `app.ts`). */
export interface CallSignalStackProps extends StackProps {
  /** Names the WebSocket stage; `dev` stacks may be destroyed with their data, others keep it. */
  stage: string;
  /** `LOG_LEVEL` of every function. */
  logLevel: string;
  /** Callback hosts trusted without the private-address check (SSRF rule); none by default. */
  callbackAllowedHosts: string[];
  /** Where alarms send e-mail (through an SNS topic); none by default: the alarms only show in CloudWatch. */
  alarmEmail?: string;
  /** Reserved concurrency of every function; none by default. */
  reservedConcurrency?: number;
  /** WebSocket messages per second across the stage (API Gateway throttling). */
  wsStageRatePerSec?: number;
  /** Burst of the same throttle. */
  wsStageBurst?: number;
}

/** The WebSocket stage's default throttle: well under the account's 10,000/s, above any expected load. */
export const WS_STAGE_THROTTLE = { rateLimit: 2_000, burstLimit: 5_000 };

/** How many times SQS delivers a timer before it moves to the dead-letter queue. */
const TIMER_MAX_RECEIVES = 5;
const TIMERS_FUNCTION_TIMEOUT = Duration.seconds(10);
/** Ten 3-second attempts per batch at most, with room to spare. */
const CALLBACKS_FUNCTION_TIMEOUT = Duration.seconds(40);

/** `functions/<name>.ts`, resolved from this file so synth works from any working directory. */
const entry = (name: string) => fileURLToPath(new URL(`../functions/${name}.ts`, import.meta.url));

/**
 * The whole CallSignal backend: the table, the clients' WebSocket API, the HTTP API, the timers
 * queue and the sweeper's schedule, with each function granted only the calls it makes, and the
 * alarms and dashboard that watch them.
 */
export class CallSignalStack extends Stack {
  constructor(scope: Construct, id: string, props: CallSignalStackProps) {
    super(scope, id, props);
    const dev = props.stage === 'dev';
    const removalPolicy = dev ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const table = tableFromSchema(this, 'Table', { removalPolicy, deletionProtection: !dev });

    const timersDlq = new Queue(this, 'TimersDeadLetterQueue', { retentionPeriod: Duration.days(14), enforceSSL: true });
    const timers = new Queue(this, 'TimersQueue', {
      // AWS's advice for Lambda consumers: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(TIMERS_FUNCTION_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: timersDlq, maxReceiveCount: TIMER_MAX_RECEIVES },
      enforceSSL: true,
    });

    // Callback delivery: the worker retries failures itself (re-enqueueing with the documented delays) and
    // dead-letters after the last one; the queue's own redrive only catches worker crashes.
    const callbacksDlq = new Queue(this, 'CallbacksDeadLetterQueue', { retentionPeriod: Duration.days(14), enforceSSL: true });
    const callbacksQueue = new Queue(this, 'CallbacksQueue', {
      visibilityTimeout: Duration.seconds(CALLBACKS_FUNCTION_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: callbacksDlq, maxReceiveCount: 3 },
      enforceSSL: true,
    });

    const fn = (id: string, name: string, timeout?: Duration) =>
      new SignalFunction(this, id, { entry: entry(name), table, logLevel: props.logLevel, removalPolicy, timeout, reservedConcurrency: props.reservedConcurrency });
    const authorizer = fn('WsAuthorizer', 'ws-authorizer', Duration.seconds(5)).grantTable('read');
    const connect = fn('WsConnect', 'ws-connect');
    const disconnect = fn('WsDisconnect', 'ws-disconnect');
    const message = fn('WsMessage', 'ws-message');
    const timersFn = fn('Timers', 'timers', TIMERS_FUNCTION_TIMEOUT);
    const sweeper = fn('Sweeper', 'sweeper');
    const http = fn('Http', 'http');
    const callbacks = fn('Callbacks', 'callbacks', CALLBACKS_FUNCTION_TIMEOUT);

    const ws = new SignalingWebSocketApi(this, 'WebSocket', {
      stageName: props.stage,
      authorizer: authorizer.fn,
      connect: connect.fn,
      disconnect: disconnect.fn,
      message: message.fn,
      actions: Object.keys(ACTION_SCHEMAS),
      removalPolicy,
      throttle: { rateLimit: props.wsStageRatePerSec ?? WS_STAGE_THROTTLE.rateLimit, burstLimit: props.wsStageBurst ?? WS_STAGE_THROTTLE.burstLimit },
    });

    // Every function built by `wire()` reads and writes the table, reaches clients and schedules timers
    // (disconnect: grace periods; http: the admin API ends calls and kicks devices).
    for (const f of [disconnect, message, timersFn, sweeper, http, callbacks]) {
      f.grantTable('readWrite').bindConnections(ws.stage).bindTimers(timers, { send: true }).bindQueue('CALLBACKS_QUEUE_URL', callbacksQueue, { send: true });
      f.fn.addEnvironment('CALLBACK_ALLOWED_HOSTS', props.callbackAllowedHosts.join(','));
    }
    // The worker dead-letters; the admin API lists and replays dead letters.
    for (const f of [callbacks, http]) f.bindQueue('CALLBACKS_DLQ_URL', callbacksDlq, { send: true, consume: true });
    callbacks.fn.addEventSource(new SqsEventSource(callbacksQueue, { reportBatchItemFailures: true, batchSize: 10 }));

    timersFn.fn.addEventSource(new SqsEventSource(timers, { reportBatchItemFailures: true }));
    new Rule(this, 'SweeperSchedule', {
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(sweeper.fn)],
    });

    const httpApi = signalHttpApi(this, 'HttpApi', { handler: http.fn, removalPolicy });

    // Every SignalFunction of the stack, found rather than listed, so a function added later gets its alarms too.
    const functions = this.node.children.filter((c): c is SignalFunction => c instanceof SignalFunction);
    new SignalMonitoring(this, 'Monitoring', {
      functions: Object.fromEntries(functions.map((f) => [f.node.id, f.fn])),
      deadLetterQueues: { TimersDeadLetterQueue: timersDlq, CallbacksDeadLetterQueue: callbacksDlq },
      httpApi: httpApi.api,
      webSocketApi: ws.api,
      alarmEmail: props.alarmEmail,
      removalPolicy,
    });

    new CfnOutput(this, 'WebSocketUrl', { value: ws.stage.url, description: 'Clients connect here (wss://…)' });
    new CfnOutput(this, 'HttpApiUrl', { value: httpApi.stage.url, description: 'HTTP API base URL: the admin REST API (/v4/…, /v1/…), /openapi.json, /health' });
    new CfnOutput(this, 'TableName', { value: table.tableName, description: 'The one DynamoDB table' });
    new CfnOutput(this, 'CallbacksDeadLetterQueueUrl', { value: callbacksDlq.queueUrl, description: 'Callbacks given up after the last retry (list and replay them with the admin API)' });
  }
}
