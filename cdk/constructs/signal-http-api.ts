import { type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpStage, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { accessLogSettings, HTTP_ACCESS_LOG_FIELDS } from './api-access-logs.ts';

/**
 * What the http function serves (`lib/rest/http-api.ts`): the admin REST API under `/v4/` and `/v1/`
 * (any method: the function itself answers a non-POST in the API's envelope), the OpenAPI document,
 * the health check, and CORS preflight anywhere. Anything else gets API Gateway's own 404.
 */
export const HTTP_ROUTES: readonly { method: HttpMethod; path: string }[] = [
  { method: HttpMethod.ANY, path: '/v4/{proxy+}' },
  { method: HttpMethod.ANY, path: '/v1/{proxy+}' },
  { method: HttpMethod.GET, path: '/openapi.json' },
  { method: HttpMethod.GET, path: '/health' },
  { method: HttpMethod.OPTIONS, path: '/{proxy+}' },
];

/** Why no route of the HTTP API has an API Gateway authorizer (cdk-nag APIG4). */
const IN_FUNCTION_AUTH_REASON =
  'The admin REST API authenticates every /v4 and /v1 request in the function (sdkappid, identifier and an admin ' +
  'UserSig in the query string, the documented scheme) and must answer refusals in its own envelope with documented ' +
  'codes (HTTP 200), which an API Gateway authorizer (401/403) cannot; /health, /openapi.json and CORS preflight ' +
  '(browsers send no credentials on OPTIONS) are public by design.';

/** Options of the HTTP API. */
export interface SignalHttpApiOptions {
  /** The http function: every route goes to it (payload format 2.0). */
  handler: IFunction;
  /** Applied to the stage's access log group. */
  removalPolicy: RemovalPolicy;
}

/**
 * The HTTP API (created as `id` directly in `scope`, so its logical id is the one deployed stacks
 * already have): one Lambda integration behind the explicit routes of `HTTP_ROUTES`, and the
 * auto-deployed `$default` stage with access logs.
 */
export function signalHttpApi(scope: Construct, id: string, options: SignalHttpApiOptions): { api: HttpApi; stage: HttpStage } {
  const api = new HttpApi(scope, id, { apiName: `${Stack.of(scope).stackName}-http`, createDefaultStage: false });
  // Same construct id as the stage HttpApi creates by default, so the deployed stage is updated in place.
  const stage = new HttpStage(api, 'DefaultStage', {
    httpApi: api,
    autoDeploy: true,
    accessLogSettings: accessLogSettings(scope, `${id}AccessLogs`, HTTP_ACCESS_LOG_FIELDS, options.removalPolicy),
  });
  // One integration for every route (one CfnIntegration; a Lambda permission scoped to each route's path).
  const integration = new HttpLambdaIntegration('Http', options.handler, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 });
  for (const { method, path } of HTTP_ROUTES) {
    for (const route of api.addRoutes({ path, methods: [method], integration })) {
      Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason: IN_FUNCTION_AUTH_REASON });
    }
  }
  return { api, stage };
}
