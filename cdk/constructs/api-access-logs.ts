import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat, CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { type IAccessLogSettings, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * One JSON line per HTTP request. `$context.path` carries no query string, so the admin's UserSig
 * (`?usersig=…`) never reaches the access log.
 */
export const HTTP_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationError: '$context.integrationErrorMessage',
} as const;

/**
 * One JSON line per WebSocket event (connect, message, disconnect). No query string either: the
 * `$connect` credentials (`usersig`/`token`) stay out of the log.
 */
export const WEBSOCKET_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  connectionId: '$context.connectionId',
  status: '$context.status',
  error: '$context.error.message',
  integrationLatencyMs: '$context.integrationLatency',
} as const;

/**
 * Access logging for an API Gateway v2 stage (cdk-nag APIG1): a log group kept one month, written in
 * `fields`' JSON shape.
 */
export function accessLogSettings(scope: Construct, id: string, fields: Record<string, string>, removalPolicy: RemovalPolicy): IAccessLogSettings {
  const logGroup = new LogGroup(scope, id, { retention: RetentionDays.ONE_MONTH, removalPolicy });
  return { destination: new LogGroupLogDestination(logGroup), format: AccessLogFormat.custom(JSON.stringify(fields)) };
}

/**
 * API Gateway's account-level CloudWatch role (one per account and region). WebSocket stages, like
 * REST stages, refuse logging settings without it ("CloudWatch Logs role ARN must be set in account
 * settings to enable logging"); HTTP APIs do not need it. A new account has none, so the stack sets it.
 * Both are retained on teardown: other APIs of the account may log through the same setting.
 */
export class ApiGatewayCloudWatchRole extends Construct {
  /** The account setting; stages that log depend on it. */
  readonly account: CfnAccount;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "AWS's documented policy for API Gateway's account-wide logging role: the role serves every API and stage of the " +
        'account and region, whose log groups API Gateway itself names and creates, so it cannot be scoped to this stack.',
    });
    // L1: no L2 construct manages the account setting on its own (RestApi's `cloudWatchRole` is REST-only).
    this.account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: role.roleArn });
    this.account.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
