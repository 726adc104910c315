import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_BYTES, REPO_ROOT } from '../../cdk/bundling.ts';
import { CallSignalStack, WS_STAGE_THROTTLE } from '../../cdk/callsignal-stack.ts';
import type { SignalFunction } from '../../cdk/constructs/signal-function.ts';
import { createTableInput, TABLE_SCHEMA } from '../../lib/store/schema.ts';
import { ACTION_SCHEMAS } from '../../lib/ws/schemas.ts';

// The same context (feature flags) as `cdk synth`, so the test checks the template that deploys.
const { context } = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };

const FUNCTIONS = ['WsAuthorizer', 'WsConnect', 'WsDisconnect', 'WsMessage', 'Timers', 'Sweeper', 'Http', 'Callbacks'] as const;
type FunctionId = (typeof FUNCTIONS)[number];
const ACTIONS = Object.keys(ACTION_SCHEMAS);

// Template JSON is untyped; the assertions below say what shape they expect.
type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

let template: Template;
/** Where the dev stack's cloud assembly (with the bundled assets) was written. */
let outdir: string;
let prodOutdir: string;
let fnIds: Record<FunctionId, string>;
/** A `prod` stack synthesized without bundling (`aws:cdk:bundling-stacks: []`), with the optional settings set. */
let prod: Template;
let devApp: App;
let prodApp: App;
let devStack: Stack;

/** True when a CloudFormation value (Ref, GetAtt, Join…) mentions the resource `logicalId`. */
const mentions = (value: unknown, logicalId: string) => JSON.stringify(value).includes(`"${logicalId}"`);
const only = (resources: Record<string, Resource>): [string, Resource] => {
  const entries = Object.entries(resources);
  expect(entries).toHaveLength(1);
  return entries[0]!;
};
const resources = (type: string, props?: unknown) => template.findResources(type, props ? { Properties: props } : undefined) as Record<string, Resource>;
/** The timers or callbacks queue (the ones with a redrive policy), by its construct id. */
const queueNamed = (name: 'TimersQueue' | 'CallbacksQueue') => Object.entries(resources('AWS::SQS::Queue')).find(([id, q]) => id.startsWith(name) && q.Properties.RedrivePolicy)!;
const wsApiId = () => only(resources('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET' }))[0];
const wsRoutes = () => Object.entries(resources('AWS::ApiGatewayV2::Route')).filter(([, r]) => mentions(r.Properties.ApiId, wsApiId()));
/** The function logical id behind a route's Lambda proxy integration. */
const functionOfRoute = (route: Resource) => {
  const [, integration] = Object.entries(resources('AWS::ApiGatewayV2::Integration')).find(([id]) => mentions(route.Properties.Target, id))!;
  expect(integration.Properties.IntegrationType).toBe('AWS_PROXY');
  return FUNCTIONS.find((f) => mentions(integration.Properties.IntegrationUri, fnIds[f]));
};
const roleOf = (fn: FunctionId) => (resources('AWS::Lambda::Function')[fnIds[fn]]!.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
const policyStatements = (fn: FunctionId) =>
  Object.values(resources('AWS::IAM::Policy'))
    .filter((p) => mentions(p.Properties.Roles, roleOf(fn)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
const actionsOf = (fn: FunctionId) => policyStatements(fn).flatMap((s) => [s.Action].flat());

// One synthesis (with bundling by the local esbuild, and CDK's built-in template validation, which the
// cdk.json flag `validateAgainstDefaultRules` makes fatal) shared by every assertion: it takes 5–15 s.
beforeAll(() => {
  const app = (devApp = new App({ context }));
  const stack = (devStack = new CallSignalStack(app, 'CallSignal', { stage: 'dev', logLevel: 'INFO', callbackAllowedHosts: [] }));
  template = Template.fromStack(stack);
  outdir = app.outdir;
  const logicalId = (s: Stack, id: FunctionId) => s.getLogicalId((s.node.findChild(id) as SignalFunction).fn.node.defaultChild as CfnFunction);
  fnIds = Object.fromEntries(FUNCTIONS.map((id) => [id, logicalId(stack, id)])) as Record<FunctionId, string>;
  prodApp = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const prodProps = { stage: 'prod', logLevel: 'INFO', callbackAllowedHosts: ['hooks.example.com'], alarmEmail: 'oncall@example.com', reservedConcurrency: 20 };
  prod = Template.fromStack(new CallSignalStack(prodApp, 'CallSignalProd', prodProps));
  prodOutdir = prodApp.outdir;
}, 180_000);

// Outside the CDK CLI each App writes its cloud assembly (≈ 20 MB of bundles) to a fresh temporary folder.
afterAll(() => {
  for (const dir of [outdir, prodOutdir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the table', () => {
  it('has exactly the keys, indexes and billing of lib/store/schema.ts, the module the local runtime creates its table from', () => {
    const [, table] = only(resources('AWS::DynamoDB::Table'));
    const local = createTableInput('any');
    const byName = (a: { AttributeName: string }, b: { AttributeName: string }) => a.AttributeName.localeCompare(b.AttributeName);
    expect(table.Properties.KeySchema).toEqual(local.KeySchema);
    expect([...table.Properties.AttributeDefinitions].sort(byName)).toEqual([...local.AttributeDefinitions].sort(byName));
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(local.GlobalSecondaryIndexes);
    expect(table.Properties.BillingMode).toBe(local.BillingMode);
  });

  it('expires items on the schema TTL attribute (expiresAt) and has point-in-time recovery', () => {
    const [, table] = only(resources('AWS::DynamoDB::Table'));
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true });
    expect(TABLE_SCHEMA.ttlAttribute).toBe('expiresAt');
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('may be destroyed with a dev stack, but is retained and deletion-protected for other stages', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtectionEnabled: false }) });
    prod.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: Match.objectLike({ DeletionProtectionEnabled: true }) });
    prod.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: 'prod', AutoDeploy: true });
  });
});

describe('the WebSocket API', () => {
  it('routes on the frame field action and deploys an auto-deployed stage named by the stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { ApiId: { Ref: wsApiId() }, StageName: 'dev', AutoDeploy: true });
  });

  it('throttles the stage\'s messages across all connections (the ceiling above the per-connection limit)', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: wsApiId() },
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: WS_STAGE_THROTTLE.rateLimit, ThrottlingBurstLimit: WS_STAGE_THROTTLE.burstLimit }),
    });
  });

  it('guards $connect with the REQUEST authorizer identified by the sdkappid and userid query strings, uncached', () => {
    const [, connect] = wsRoutes().find(([, r]) => r.Properties.RouteKey === '$connect')!;
    const [authorizerId, authorizer] = only(resources('AWS::ApiGatewayV2::Authorizer'));
    expect(connect.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
    expect(functionOfRoute(connect)).toBe('WsConnect');
    expect(authorizer.Properties.AuthorizerType).toBe('REQUEST');
    // usersig OR token: neither may be a required identity source.
    expect(authorizer.Properties.IdentitySource).toEqual(['route.request.querystring.sdkappid', 'route.request.querystring.userid']);
    expect(mentions(authorizer.Properties.AuthorizerUri, fnIds.WsAuthorizer)).toBe(true);
    // API Gateway caches only HTTP API authorizer results; nothing here may turn caching on.
    expect(authorizer.Properties.AuthorizerResultTtlInSeconds).toBeUndefined();
  });

  it('has $connect, $disconnect, $default and one route per ACTION_SCHEMAS key, and no other', () => {
    const keys = wsRoutes().map(([, r]) => r.Properties.RouteKey as string);
    expect(keys.sort()).toEqual(['$connect', '$disconnect', '$default', ...ACTIONS].sort());
    expect(functionOfRoute(wsRoutes().find(([, r]) => r.Properties.RouteKey === '$disconnect')![1])).toBe('WsDisconnect');
  });

  it('answers $default and every action with the message function and returns its answer to the client (two-way)', () => {
    const responses = Object.values(resources('AWS::ApiGatewayV2::RouteResponse'));
    for (const key of ['$default', ...ACTIONS]) {
      const [routeId, route] = wsRoutes().find(([, r]) => r.Properties.RouteKey === key)!;
      expect({ key, fn: functionOfRoute(route) }).toEqual({ key, fn: 'WsMessage' });
      expect(route.Properties.RouteResponseSelectionExpression).toBe('$default');
      expect(responses.some((r) => r.Properties.RouteResponseKey === '$default' && mentions(r.Properties.RouteId, routeId))).toBe(true);
    }
  });
});

describe('the functions', () => {
  it('are exactly the seven entry points, each Node.js 22 on arm64, 256 MB, logging to a one-month log group', () => {
    const fns = resources('AWS::Lambda::Function');
    expect(Object.keys(fns).sort()).toEqual(Object.values(fnIds).sort());
    const logGroups = resources('AWS::Logs::LogGroup');
    for (const [id, fn] of Object.entries(fns)) {
      expect({ id, ...fn.Properties }).toMatchObject({ id, Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 256, Handler: 'index.handler' });
      const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(logGroups[logGroupId]?.Properties.RetentionInDays).toBe(30);
    }
    expect(fns[fnIds.WsAuthorizer]!.Properties.Timeout).toBe(5);
    expect(fns[fnIds.Callbacks]!.Properties.Timeout).toBe(40);
    for (const f of FUNCTIONS.filter((f) => f !== 'WsAuthorizer' && f !== 'Callbacks')) expect(fns[fnIds[f]]!.Properties.Timeout).toBe(10);
  });

  it('are ES module bundles, with the createRequire banner, that load and export handler', async () => {
    for (const f of FUNCTIONS) {
      const key = resources('AWS::Lambda::Function')[fnIds[f]]!.Properties.Code.S3Key as string;
      const bundle = join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
      const code = readFileSync(bundle, 'utf8');
      expect(code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);")).toBe(true);
      expect({ f, size: code.length <= BUNDLE_BUDGET_BYTES }).toEqual({ f, size: true });
      // Functions that take the SDK from the Lambda runtime find it here the way Lambda's NODE_PATH does there.
      const modules = join(dirname(bundle), 'node_modules');
      if (!existsSync(modules)) symlinkSync(join(REPO_ROOT, 'node_modules'), modules, 'dir');
      // Loading is what fails without the banner ("Dynamic require of ... is not supported"); handlers wire lazily outside Lambda.
      const mod = (await import(pathToFileURL(bundle).href)) as { handler?: unknown };
      expect({ f, handler: typeof mod.handler }).toEqual({ f, handler: 'function' });
    }
  });

  it('get the table name, log settings, and the @connections endpoint and timers queue where they use them', () => {
    const [tableId] = only(resources('AWS::DynamoDB::Table'));
    const [queueId] = queueNamed('TimersQueue');
    const [callbacksId] = queueNamed('CallbacksQueue');
    const fns = resources('AWS::Lambda::Function');
    for (const f of FUNCTIONS) {
      const env = fns[fnIds[f]]!.Properties.Environment.Variables as Record<string, unknown>;
      expect(env).toMatchObject({ TABLE_NAME: { Ref: tableId }, LOG_LEVEL: 'INFO', POWERTOOLS_SERVICE_NAME: 'callsignal', NODE_OPTIONS: '--enable-source-maps' });
      const postsToClients = ['WsDisconnect', 'WsMessage', 'Timers', 'Sweeper', 'Http', 'Callbacks'].includes(f);
      expect({ f, endpoint: 'WS_MANAGEMENT_ENDPOINT' in env, queue: 'TIMERS_QUEUE_URL' in env }).toEqual({ f, endpoint: postsToClients, queue: postsToClients });
      if (!postsToClients) continue;
      // https://{apiId}.execute-api.{region}.{suffix}/{stage}: the stage's callback URL.
      expect(JSON.stringify(env.WS_MANAGEMENT_ENDPOINT)).toMatch(new RegExp(`^\\{"Fn::Join":\\["",\\["https://",\\{"Ref":"${wsApiId()}"\\},".execute-api.",.*"/dev"\\]\\]\\}$`));
      expect(env.TIMERS_QUEUE_URL).toEqual({ Ref: queueId });
      expect(env.CALLBACKS_QUEUE_URL).toEqual({ Ref: callbacksId });
    }
  });
});

describe('the timers queue and the sweeper', () => {
  it('redrives a timer to a dead-letter queue after 5 receives and hides it for at least 6 times the consumer timeout', () => {
    const [, queue] = queueNamed('TimersQueue');
    const dlqId = (queue.Properties.RedrivePolicy.deadLetterTargetArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
    expect(resources('AWS::SQS::Queue')[dlqId]).toBeDefined();
    const timeout = resources('AWS::Lambda::Function')[fnIds.Timers]!.Properties.Timeout as number;
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    expect(queue.Properties.FifoQueue).toBeUndefined();
  });

  it('refuses non-TLS access to both queues', () => {
    const denies = Object.values(resources('AWS::SQS::QueuePolicy')).filter((p) =>
      (p.Properties.PolicyDocument.Statement as { Effect: string; Condition?: unknown }[]).some(
        (s) => s.Effect === 'Deny' && JSON.stringify(s.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}',
      ),
    );
    for (const queueId of Object.keys(resources('AWS::SQS::Queue'))) expect(denies.some((p) => mentions(p.Properties.Queues, queueId))).toBe(true);
  });

  it('feeds the timers function with partial batch failures (ReportBatchItemFailures)', () => {
    const [queueId] = queueNamed('TimersQueue');
    const [, mapping] = Object.entries(resources('AWS::Lambda::EventSourceMapping')).find(([, m]) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: fnIds.Timers }))!;
    expect(mapping.Properties).toMatchObject({ FunctionName: { Ref: fnIds.Timers }, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(mentions(mapping.Properties.EventSourceArn, queueId)).toBe(true);
  });

  it('feeds the callbacks worker from its queue, which redrives crashes to a dead-letter queue the worker and the admin API use', () => {
    const [queueId, queue] = queueNamed('CallbacksQueue');
    const dlqId = (queue.Properties.RedrivePolicy.deadLetterTargetArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const [, mapping] = Object.entries(resources('AWS::Lambda::EventSourceMapping')).find(([, m]) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: fnIds.Callbacks }))!;
    expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mentions(mapping.Properties.EventSourceArn, queueId)).toBe(true);
    const fns = resources('AWS::Lambda::Function');
    for (const f of ['Callbacks', 'Http'] as const) expect((fns[fnIds[f]]!.Properties.Environment.Variables as Record<string, unknown>).CALLBACKS_DLQ_URL).toEqual({ Ref: dlqId });
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (fns[fnIds.Callbacks]!.Properties.Timeout as number));
    expect((prod.findResources('AWS::Lambda::Function') as Record<string, { Properties: { Environment?: { Variables?: Record<string, unknown> } } }>)).toSatisfy((all: Record<string, { Properties: { Environment?: { Variables?: Record<string, unknown> } } }>) =>
      Object.values(all).some((fn) => fn.Properties.Environment?.Variables?.CALLBACK_ALLOWED_HOSTS === 'hooks.example.com'),
    );
  });

  it('runs the sweeper every minute', () => {
    const [, rule] = only(resources('AWS::Events::Rule'));
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [fnIds.Sweeper, 'Arn'] } })]);
  });
});

describe('permissions', () => {
  it('never grants a wildcard action (no "*", no "dynamodb:*" or any "service:*")', () => {
    const actions = Object.values(resources('AWS::IAM::Policy')).flatMap((p) => (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => [s.Action].flat()));
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => a === '*' || a.endsWith(':*') || a === 'dynamodb:Scan' || a.startsWith('dynamodb:Batch'))).toEqual([]);
  });

  it('lets the authorizer only read single items, and gives ws-connect no policy at all', () => {
    expect(actionsOf('WsAuthorizer')).toEqual(['dynamodb:GetItem']);
    expect(actionsOf('WsConnect')).toEqual([]);
  });

  it('lets the signaling functions read and write the table and its indexes, and manage the stage connections', () => {
    const [tableId] = only(resources('AWS::DynamoDB::Table'));
    for (const f of ['WsDisconnect', 'WsMessage', 'Timers', 'Sweeper', 'Http', 'Callbacks'] as const) {
      const table = policyStatements(f).find((s) => mentions(s.Resource, tableId))!;
      expect([table.Action].flat().sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
      expect(JSON.stringify(table.Resource)).toContain('/index/*');
      const manage = policyStatements(f).find((s) => s.Action === 'execute-api:ManageConnections');
      expect(JSON.stringify(manage?.Resource)).toContain(`{"Ref":"${wsApiId()}"},"/dev/*/@connections/*"`);
    }
  });

  it('gives each function its own role, with no managed policy, that may only write its own log group besides its grants', () => {
    const roles = resources('AWS::IAM::Role');
    const fns = resources('AWS::Lambda::Function');
    for (const f of FUNCTIONS) {
      const role = roles[roleOf(f)]!;
      const logGroupId = (fns[fnIds[f]]!.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect({ f, managed: role.Properties.ManagedPolicyArns }).toEqual({ f, managed: undefined });
      expect(role.Properties.Policies).toEqual([
        {
          PolicyName: 'Logs',
          PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } }] },
        },
      ]);
    }
    expect(new Set(FUNCTIONS.map(roleOf)).size).toBe(FUNCTIONS.length);
  });

  it('lets only the functions that schedule timers send to the timers queue', () => {
    const senders = ['WsDisconnect', 'WsMessage', 'Timers', 'Sweeper', 'Http', 'Callbacks'];
    for (const f of FUNCTIONS) expect({ f, send: actionsOf(f).includes('sqs:SendMessage') }).toEqual({ f, send: senders.includes(f) });
  });
});

describe('the HTTP API and the outputs', () => {
  const httpApiId = () => only(resources('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' }))[0];

  it('routes /v4 and /v1 (any method), GET /openapi.json, GET /health and OPTIONS preflight, and nothing else, to the http function with payload format 2.0', () => {
    const routes = Object.values(resources('AWS::ApiGatewayV2::Route')).filter((r) => mentions(r.Properties.ApiId, httpApiId()));
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(['ANY /v1/{proxy+}', 'ANY /v4/{proxy+}', 'GET /health', 'GET /openapi.json', 'OPTIONS /{proxy+}']);
    for (const route of routes) expect({ key: route.Properties.RouteKey, fn: functionOfRoute(route) }).toEqual({ key: route.Properties.RouteKey, fn: 'Http' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      ApiId: { Ref: httpApiId() },
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [fnIds.Http, 'Arn'] },
    });
  });

  it('lets API Gateway invoke the http function on exactly those routes', () => {
    const permissions = Object.values(resources('AWS::Lambda::Permission')).filter((p) => mentions(p.Properties.SourceArn, httpApiId()));
    expect(permissions.every((p) => mentions(p.Properties.FunctionName, fnIds.Http))).toBe(true);
    const paths = permissions.map((p) => JSON.stringify(p.Properties.SourceArn).match(/\/\*\/\*([^"]*)"/)?.[1]).sort();
    expect(paths).toEqual(['/health', '/openapi.json', '/v1/{proxy+}', '/v4/{proxy+}', '/{proxy+}']);
  });

  it('outputs the WebSocket URL (wss://…/dev), the HTTP API URL, the table name and the callbacks dead-letter queue URL', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(['CallbacksDeadLetterQueueUrl', 'HttpApiUrl', 'TableName', 'WebSocketUrl']);
    expect(JSON.stringify(outputs.WebSocketUrl!.Value)).toMatch(/^\{"Fn::Join":\["",\["wss:\/\/",.*"\/dev"\]\]\}$/);
    expect(JSON.stringify(outputs.HttpApiUrl!.Value)).toContain('"https://"');
    expect(mentions(outputs.HttpApiUrl!.Value, httpApiId())).toBe(true);
    expect(outputs.TableName!.Value).toEqual({ Ref: only(resources('AWS::DynamoDB::Table'))[0] });
    const [, callbacksQueue] = queueNamed('CallbacksQueue');
    const dlqId = (callbacksQueue.Properties.RedrivePolicy.deadLetterTargetArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(outputs.CallbacksDeadLetterQueueUrl!.Value).toEqual({ Ref: dlqId });
  });

  it('writes access logs of both stages to one-month log groups, in JSON without query strings (no credentials logged)', () => {
    const logGroups = resources('AWS::Logs::LogGroup');
    const stages = Object.values(resources('AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(2);
    for (const stage of stages) {
      const { DestinationArn, Format } = stage.Properties.AccessLogSettings as { DestinationArn: { 'Fn::GetAtt': [string, string] }; Format: string };
      expect(logGroups[DestinationArn['Fn::GetAtt'][0]]?.Properties.RetentionInDays).toBe(30);
      expect(JSON.parse(Format)).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status' });
      expect(Format).not.toMatch(/querystring|usersig|token/i);
    }
  });

  it('sets the account-level CloudWatch role API Gateway needs before a WebSocket stage may log, and keeps it on teardown', () => {
    const [accountId, account] = only(resources('AWS::ApiGateway::Account'));
    const roleId = (account.Properties.CloudWatchRoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const role = template.findResources('AWS::IAM::Role')[roleId] as Resource;
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'apigateway.amazonaws.com' });
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('service-role/AmazonAPIGatewayPushToCloudWatchLogs');
    expect([account.DeletionPolicy, role.DeletionPolicy]).toEqual(['Retain', 'Retain']);
    template.hasResource('AWS::ApiGatewayV2::Stage', { Properties: Match.objectLike({ ApiId: { Ref: wsApiId() } }), DependsOn: Match.arrayWith([accountId]) });
  });
});

describe('alarms and the dashboard', () => {
  type Alarm = Resource & { Properties: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] } };
  const alarms = (t: Template = template) => Object.values(t.findResources('AWS::CloudWatch::Alarm')) as Alarm[];
  /** The alarms on `namespace`/`metric` whose single dimension mentions `logicalId`. */
  const alarmsOn = (namespace: string, metric: string, logicalId: string, t?: Template) =>
    alarms(t).filter((a) => a.Properties.Namespace === namespace && a.Properties.MetricName === metric && mentions(a.Properties.Dimensions, logicalId));
  const dlqIds = () => (['TimersQueue', 'CallbacksQueue'] as const).map((q) => (queueNamed(q)[1].Properties.RedrivePolicy.deadLetterTargetArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]);

  it('alarm on each dead-letter queue as soon as one message is visible', () => {
    for (const dlqId of dlqIds()) {
      const [alarm] = alarmsOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', dlqId);
      expect(alarm?.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }] });
    }
  });

  it('alarm on the Errors and the Throttles of every function', () => {
    for (const f of FUNCTIONS) {
      for (const metric of ['Errors', 'Throttles']) {
        const found = alarmsOn('AWS/Lambda', metric, fnIds[f]);
        expect({ f, metric, count: found.length }).toEqual({ f, metric, count: 1 });
        expect(found[0]!.Properties).toMatchObject({ Statistic: 'Sum', Threshold: 1, Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnIds[f] } }] });
      }
    }
  });

  it("alarm on the HTTP API's 5xx and the WebSocket API's integration errors, and on nothing else", () => {
    const httpApiId = only(resources('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' }))[0];
    expect(alarmsOn('AWS/ApiGateway', '5xx', httpApiId)).toHaveLength(1);
    expect(alarmsOn('AWS/ApiGateway', 'IntegrationError', wsApiId())).toHaveLength(1);
    expect(alarms()).toHaveLength(2 + 2 * FUNCTIONS.length + 2);
  });

  it('notify nobody by default, and with alarmEmail notify that address through an encrypted, TLS-only topic', () => {
    expect(alarms().every((a) => a.Properties.AlarmActions === undefined)).toBe(true);
    expect(template.findResources('AWS::SNS::Topic')).toEqual({});
    const [topicId, topic] = Object.entries(prod.findResources('AWS::SNS::Topic') as Record<string, Resource>)[0]!;
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    prod.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topicId } });
    prod.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    for (const alarm of alarms(prod)) expect(alarm.Properties).toMatchObject({ AlarmActions: [{ Ref: topicId }], OKActions: [{ Ref: topicId }] });
    expect(JSON.stringify(prod.findResources('AWS::SNS::TopicPolicy'))).toContain('"aws:SecureTransport":"false"');
  });

  it('have a dashboard of calls, callbacks, function errors and duration, dead letters and API errors', () => {
    const [, dashboard] = only(resources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const text of ['CallStarted', 'CallEnded', 'Result', 'CallbackDelivered', 'CallbackFailed', 'CallbackRetried', 'CallbackDeadLettered', 'Errors', 'Duration', 'ApproximateNumberOfMessagesVisible', '4xx', '5xx', 'IntegrationError']) {
      expect({ text, found: body.includes(text) }).toEqual({ text, found: true });
    }
  });

  it('reserve no concurrency by default, and reservedConcurrency for every function when set', () => {
    expect(Object.values(resources('AWS::Lambda::Function')).map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual(FUNCTIONS.map(() => undefined));
    const prodFns = Object.values(prod.findResources('AWS::Lambda::Function') as Record<string, Resource>);
    expect(prodFns.map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual(FUNCTIONS.map(() => 20));
  });
});

describe('cdk-nag AwsSolutions', () => {
  /** Each unacknowledged finding as `rule at path`, so a failure names what to fix. */
  const findings = (app: App) =>
    new AwsSolutionsChecks().validateScope(app).violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}`));
  /** Every acknowledgment in the tree: where, which rule, and why. */
  const acknowledgments = (root: IConstruct) =>
    root.node.findAll().flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason }))),
    );

  it('finds nothing unacknowledged (errors or warnings) in the dev stack or the prod stack with every option set', () => {
    expect(findings(devApp)).toEqual([]);
    expect(findings(prodApp)).toEqual([]);
  });

  it('acknowledges only API Gateway and IAM findings that cannot be fixed, each on the construct that causes it, with its reason', () => {
    const acks = [...acknowledgments(devApp), ...acknowledgments(prodApp)];
    expect([...new Set(acks.map((a) => a.id.replace(/\[.*$/, '')))].sort()).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-L1']);
    for (const a of acks) expect({ ...a, reason: a.reason.length >= 80 }).toEqual({ ...a, reason: true });
    // Never on the app or the stack, where it would silence every resource.
    expect(acks.filter((a) => !a.path.includes('/'))).toEqual([]);
  });

  it('leaves no CDK warning in the synthesized stack', () => {
    expect(Annotations.fromStack(devStack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});
