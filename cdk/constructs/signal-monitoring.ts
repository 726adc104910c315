import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { HttpApi, WebSocketApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  SearchExpression,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Where the functions' EMF metrics land (`lib/adapters/metrics.ts`; Powertools adds the `service` dimension to each). */
export const EMF_NAMESPACE = 'CallSignal';
const EMF_DIMENSIONS = { service: 'callsignal' };
const PERIOD = Duration.minutes(5);

/** What the stack watches. */
export interface SignalMonitoringProps {
  /** Every function, by the name alarms and graphs show. */
  functions: Readonly<Record<string, IFunction>>;
  /** Every dead-letter queue, by name: one message there is one lost timer or callback. */
  deadLetterQueues: Readonly<Record<string, IQueue>>;
  httpApi: HttpApi;
  webSocketApi: WebSocketApi;
  /** With an address, alarms notify it through an SNS topic (the address must confirm the subscription). */
  alarmEmail?: string;
  /** Applied to the alarm topic's key. */
  removalPolicy: RemovalPolicy;
}

/**
 * The stack's alarms (dead letters, function errors and throttles, API 5xx and integration errors),
 * their optional e-mail topic, and one dashboard of calls, callbacks, functions, queues and APIs.
 */
export class SignalMonitoring extends Construct {
  /** Every alarm, in creation order. */
  readonly alarms: Alarm[] = [];
  /** The alarms' topic, when `alarmEmail` is set. */
  readonly topic?: Topic;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: SignalMonitoringProps) {
    super(scope, id);
    if (props.alarmEmail) this.topic = this.alarmTopic(props.alarmEmail, props.removalPolicy);

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      const depth = queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD });
      this.alarm(`${name}Depth`, depth, `${name} holds at least one message: a timer or callback was given up after its retries.`);
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(`${name}Errors`, fn.metricErrors({ statistic: 'Sum', period: PERIOD }), `The ${name} function failed at least once.`);
      this.alarm(`${name}Throttles`, fn.metricThrottles({ statistic: 'Sum', period: PERIOD }), `The ${name} function was throttled (concurrency limit).`);
    }
    this.alarm('HttpApi5xx', props.httpApi.metricServerError({ statistic: 'Sum', period: PERIOD }), 'The HTTP API answered 5xx.');
    const wsIntegrationErrors = props.webSocketApi.metric('IntegrationError', { statistic: 'Sum', period: PERIOD });
    this.alarm('WebSocketIntegrationErrors', wsIntegrationErrors, 'A WebSocket route integration (Lambda) failed.');

    this.dashboard = new Dashboard(this, 'Dashboard', {
      // Dashboard names are global to the account: the region keeps same-named stacks apart.
      dashboardName: `${Stack.of(this).stackName}-${Stack.of(this).region}`,
      widgets: dashboardRows(props),
    });
  }

  /** Alarms when `metric` reaches 1 in a five-minute period; no data (no traffic) is not a failure. */
  private alarm(id: string, metric: IMetric, description: string): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    if (this.topic) {
      alarm.addAlarmAction(new SnsAction(this.topic));
      alarm.addOkAction(new SnsAction(this.topic));
    }
    this.alarms.push(alarm);
  }

  /**
   * An encrypted, TLS-only topic with the e-mail subscription. The key is a customer-managed one because
   * CloudWatch cannot publish to a topic under the AWS-managed `aws/sns` key (its policy cannot name
   * CloudWatch); the explicit publish grant replaces what the default topic policy allowed.
   */
  private alarmTopic(email: string, removalPolicy: RemovalPolicy): Topic {
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': Stack.of(this).account } });
    const key = new Key(this, 'AlarmTopicKey', { enableKeyRotation: true, removalPolicy, description: 'Encrypts the CallSignal alarm topic' });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const topic = new Topic(this, 'AlarmTopic', { displayName: `${Stack.of(this).stackName} alarms`, masterKey: key, enforceSSL: true });
    topic.grantPublish(cloudWatch);
    topic.addSubscription(new EmailSubscription(email));
    return topic;
  }
}

/** A counter the functions emit (EMF), summed per period. */
const emf = (metricName: string, label = metricName) =>
  new Metric({ namespace: EMF_NAMESPACE, metricName, dimensionsMap: EMF_DIMENSIONS, statistic: 'Sum', period: PERIOD, label });

/**
 * A counter the functions emit with one extra dimension (`CallEnded` by `Result`…): one line per value,
 * whatever values the code emits (a search, so there is no list of values to keep in sync).
 */
const emfBy = (metricName: string, dimension: string) =>
  new SearchExpression({
    expression: `SEARCH('{${EMF_NAMESPACE},${dimension},service} MetricName="${metricName}"', 'Sum', ${PERIOD.toSeconds()})`,
    label: metricName,
    period: PERIOD,
  });

const graph = (title: string, left: IMetric[], width: number) => new GraphWidget({ title, left, width, height: 6 });

/** Three rows: what users do (calls, callbacks), how the functions behave, what failed at the edges. */
function dashboardRows(props: SignalMonitoringProps): GraphWidget[][] {
  const fns = Object.entries(props.functions);
  const http = props.httpApi;
  const ws = props.webSocketApi;
  const sum = { statistic: 'Sum', period: PERIOD };
  const wsSum = (name: string) => ws.metric(name, { ...sum, label: `WebSocket ${name}` });
  const depth = (name: string, q: IQueue) => q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD, label: name });
  return [
    [
      graph('Calls', [emfBy('CallStarted', 'CallType'), emfBy('CallEnded', 'Result')], 12),
      graph('Callbacks', ['CallbackDelivered', 'CallbackFailed', 'CallbackRetried', 'CallbackDeadLettered'].map((m) => emf(m)), 12),
    ],
    [
      graph('Function errors', fns.map(([name, fn]) => fn.metricErrors({ ...sum, label: name })), 12),
      graph('Function duration (p99)', fns.map(([name, fn]) => fn.metricDuration({ statistic: 'p99', period: PERIOD, label: name })), 12),
    ],
    [
      graph('Dead-letter queue depth', Object.entries(props.deadLetterQueues).map(([name, q]) => depth(name, q)), 8),
      graph('HTTP API 4xx / 5xx', [http.metricClientError({ ...sum, label: '4xx' }), http.metricServerError({ ...sum, label: '5xx' })], 8),
      graph('WebSocket API errors', ['ClientError', 'ExecutionError', 'IntegrationError'].map(wsSum), 8),
    ],
  ];
}
