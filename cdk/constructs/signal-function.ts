import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';

/** The repository root: where `package-lock.json` lives and what esbuild may read. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * ESM bundles have no `require`; bundled CommonJS dependencies (parts of the AWS SDK) call it for
 * Node built-ins, which fails at load with "Dynamic require of ... is not supported" without this.
 */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

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
}

/**
 * One CallSignal Lambda function with the project's defaults (Node 22 on ARM, ESM bundle built by
 * the local esbuild, a log group kept one month). The `grant…`/`bind…` methods set a dependency's
 * environment variable and its permission together, so neither is forgotten.
 */
export class SignalFunction extends Construct {
  /** The underlying function, for integrations and event sources. */
  readonly fn: NodejsFunction;
  private readonly table: Table;

  constructor(scope: Construct, id: string, props: SignalFunctionProps) {
    super(scope, id);
    this.table = props.table;
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? Duration.seconds(10),
      logGroup,
      environment: {
        TABLE_NAME: props.table.tableName,
        LOG_LEVEL: props.logLevel,
        POWERTOOLS_SERVICE_NAME: 'callsignal',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // Bundled SDK clients import faster than the runtime's copy (TOOLCHAIN.md) and are the versions we test.
        bundleAwsSDK: true,
        forceDockerBundling: false,
      },
    });
  }

  /** Grants the table calls of `access` on the table and its indexes. */
  grantTable(access: keyof typeof TABLE_ACTIONS): this {
    this.table.grants.actions(this.fn, ...TABLE_ACTIONS[access]);
    return this;
  }

  /** Lets the function post to, read and close WebSocket connections of `stage` (`@connections`). */
  bindConnections(stage: WebSocketStage): this {
    this.fn.addEnvironment('WS_MANAGEMENT_ENDPOINT', stage.callbackUrl);
    stage.grantManagementApiAccess(this.fn);
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
