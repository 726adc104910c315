import { type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { accessLogSettings, ApiGatewayCloudWatchRole, WEBSOCKET_ACCESS_LOG_FIELDS } from './api-access-logs.ts';

/** The frame field API Gateway routes on (ws-protocol.md: every frame names its `action`). */
export const ROUTE_SELECTION_EXPRESSION = '$request.body.action';

/**
 * The `$connect` authorizer's identity sources: API Gateway answers 401 without calling the
 * authorizer when one of them is missing. The credential is deliberately not listed: a client sends
 * `usersig` OR `token`, and listing either would refuse the clients that send the other.
 */
export const AUTHORIZER_IDENTITY_SOURCES = ['route.request.querystring.sdkappid', 'route.request.querystring.userid'];

/** The functions behind the WebSocket API and the routes it answers. */
export interface SignalingWebSocketApiProps {
  stageName: string;
  authorizer: IFunction;
  connect: IFunction;
  disconnect: IFunction;
  /** Serves `$default` and every action route. */
  message: IFunction;
  /** One two-way route per action (the keys of `ACTION_SCHEMAS`). */
  actions: readonly string[];
  /** Applied to the stage's access log group. */
  removalPolicy: RemovalPolicy;
  /** The stage's message throttling, across all connections: the ceiling above the per-connection limits. */
  throttle: { rateLimit: number; burstLimit: number };
}

/** Why the routes after `$connect` carry no authorizer (cdk-nag APIG4). */
const NO_ROUTE_AUTHORIZER_REASON =
  'API Gateway accepts an authorizer on the $connect route only; every later frame travels on the connection that ' +
  '$connect authorized, and the functions take the caller from the authorizer context API Gateway attaches to each ' +
  'event of that connection, never from the frame.';

/**
 * The clients' WebSocket API: `$connect` behind the REQUEST authorizer, `$disconnect`, and a
 * two-way route per action plus `$default`, so the function's answer goes back to the sender; its
 * stage writes access logs (hence API Gateway's account-level CloudWatch role).
 */
export class SignalingWebSocketApi extends Construct {
  /** The API, for its id and endpoint. */
  readonly api: WebSocketApi;
  /** The auto-deployed stage: its `url` for clients, its `callbackUrl` for `@connections`. */
  readonly stage: WebSocketStage;

  constructor(scope: Construct, id: string, props: SignalingWebSocketApiProps) {
    super(scope, id);
    // No result caching is configured: API Gateway only offers it for HTTP API authorizers
    // (AuthorizerResultTtlInSeconds is "supported only for HTTP API Lambda authorizers"), and the
    // WebSocket authorizer L2 has no such option; every `$connect` invokes the authorizer.
    const authorizer = new WebSocketLambdaAuthorizer('Authorizer', props.authorizer, { identitySource: AUTHORIZER_IDENTITY_SOURCES });
    // One integration shared by `$default` and the action routes (one CfnIntegration, a permission per route).
    const message = new WebSocketLambdaIntegration('Message', props.message);
    this.api = new WebSocketApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-ws`,
      routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
      connectRouteOptions: { integration: new WebSocketLambdaIntegration('Connect', props.connect), authorizer },
    });
    // Added here rather than through the constructor's options (same construct ids) to acknowledge each one.
    const unauthorized = [
      this.api.addRoute('$disconnect', { integration: new WebSocketLambdaIntegration('Disconnect', props.disconnect) }),
      this.api.addRoute('$default', { integration: message, returnResponse: true }),
      ...props.actions.map((action) => this.api.addRoute(action, { integration: message, returnResponse: true })),
    ];
    for (const route of unauthorized) Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason: NO_ROUTE_AUTHORIZER_REASON });

    const logging = new ApiGatewayCloudWatchRole(this, 'CloudWatchRole');
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: accessLogSettings(this, 'AccessLogs', WEBSOCKET_ACCESS_LOG_FIELDS, props.removalPolicy),
    });
    this.stage.node.addDependency(logging.account);
  }
}
