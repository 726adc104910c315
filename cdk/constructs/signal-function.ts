import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { basename } from 'node:path';
import { BUNDLE_ALIASES, ESBUILD_OPTIONS, REPO_ROOT, SDK_FROM_RUNTIME } from '../bundling.ts';
import { nagArnPrefix, nagRef } from './nag.ts';


/** Exactly the DynamoDB calls the adapters make (no Scan, no Batch*, no Transact*). */
const TABLE_ACTIONS = {
  read: ['dynamodb:GetItem'],
  readWrite: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
} as const;

/** Properties of one CallSignal Lambda function. */
export interface SignalFunctionProps {
  /** Absolute path of the entry file under `functions/` (it exports `handler`). */
  entry: string;
  /** Every function gets `TABLE_NAME`; access to it is granted separately (`grantTable`). */
  table: Table;
  logLevel: string;
  /** Applied to the function's log group. */
  removalPolicy: RemovalPolicy;
  /** @default 10 seconds */
  timeout?: Duration;
  /** Reserved concurrency (a cap and a guarantee); @default none: the account's unreserved pool. */
  reservedConcurrency?: number;
}

/**
 * One CallSignal Lambda function with the project's defaults (Node 22 on ARM, ESM bundle built by
 * the local esbuild, a log group kept one month, a role that may only write that log group). The
 * `grant…`/`bind…` methods set a dependency's environment variable and its permission together, so
 * neither is forgotten.
 */
export class SignalFunction extends Construct {
  /** The underlying function, for integrations and event sources. */
  readonly fn: NodejsFunction;
  private readonly table: Table;
  /** The execution role: where grants land and where their cdk-nag acknowledgments belong. */
  private readonly role: Role;

  constructor(scope: Construct, id: string, props: SignalFunctionProps) {
    const fromRuntime = SDK_FROM_RUNTIME.includes(basename(props.entry, '.ts'));
    super(scope, id);
    this.table = props.table;
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy });
    // Our own role instead of the AWS managed AWSLambdaBasicExecutionRole (cdk-nag IAM4), which would let
    // the function create any log group and write to every one: this one writes to its own group only.
    // Inline, so the role can log from the first invocation (no separate policy to wait for).
    const role = (this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        Logs: new PolicyDocument({
          statements: [new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] })],
        }),
      },
    }));
    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrency,
      role,
      logGroup,
      environment: {
        TABLE_NAME: props.table.tableName,
        LOG_LEVEL: props.logLevel,
        POWERTOOLS_SERVICE_NAME: 'callsignal',
        NODE_OPTIONS: '--enable-source-maps',
      },
      // The settings `npm run size` measures (cdk/bundling.ts), so the budget is checked on what deploys.
      bundling: {
        format: OutputFormat.ESM,
        minify: ESBUILD_OPTIONS.minify,
        sourceMap: true,
        target: ESBUILD_OPTIONS.target,
        mainFields: [...ESBUILD_OPTIONS.mainFields],
        banner: ESBUILD_OPTIONS.banner,
        esbuildArgs: Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([name, path]) => [`--alias:${name}`, path])),
        // Bundled SDK clients import faster than the runtime's copy (TOOLCHAIN.md) and are the versions we
        // test; the few functions in SDK_FROM_RUNTIME take the runtime's to stay within the size budget.
        bundleAwsSDK: !fromRuntime,
        ...(fromRuntime ? { externalModules: ['@aws-sdk/*', '@smithy/*'] } : {}),
        forceDockerBundling: false,
      },
    });
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the deployment issue specifies and the bundles target (esbuild target node22); ' +
        'nodejs24.x is newer, and moving to it is a deliberate upgrade with its own tests, not a lint fix.',
    });
  }

  /** Grants the table calls of `access` on the table and its indexes. */
  grantTable(access: keyof typeof TABLE_ACTIONS): this {
    this.table.grants.actions(this.fn, ...TABLE_ACTIONS[access]);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagRef(this.table, 'Arn')}/index/*]`,
      reason:
        'The grant covers the table and its global secondary indexes (queries go to the indexes); `index/*` is how IAM ' +
        'names the indexes of this one table. The actions are the listed single-item calls and Query, never a wildcard.',
    });
    return this;
  }

  /** Lets the function post to, read and close WebSocket connections of `stage` (`@connections`). */
  bindConnections(stage: WebSocketStage): this {
    this.fn.addEnvironment('WS_MANAGEMENT_ENDPOINT', stage.callbackUrl);
    stage.grantManagementApiAccess(this.fn);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArnPrefix('execute-api')}${nagRef(stage.api)}/${stage.stageName}/*/@connections/*]`,
      reason:
        'execute-api:ManageConnections on this API and stage only; connection ids exist only at run time, so ' +
        '`@connections/*` is the narrowest resource the @connections API accepts (the method part covers POST and DELETE).',
    });
    return this;
  }

  /** Sets `TIMERS_QUEUE_URL`; with `send`, also lets the function schedule timers on the queue. */
  bindTimers(queue: Queue, options: { send: boolean }): this {
    return this.bindQueue('TIMERS_QUEUE_URL', queue, options);
  }

  /** Sets the queue's URL in `variable`; with `send`/`consume`, also the matching permissions. */
  bindQueue(variable: string, queue: Queue, options: { send?: boolean; consume?: boolean }): this {
    this.fn.addEnvironment(variable, queue.queueUrl);
    if (options.send) queue.grants.sendMessages(this.fn);
    if (options.consume) queue.grants.consumeMessages(this.fn);
    return this;
  }
}
