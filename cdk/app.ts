import { App } from 'aws-cdk-lib';
import { CallSignalStack } from './callsignal-stack.ts';

/**
 * The CDK app: one CallSignal stack. Context: `stackName` (default `CallSignal`), `stage` (default
 * `dev`: the data may be destroyed with the stack), `logLevel` (default `INFO`), `callbackAllowedHosts`
 * (comma-separated callback hosts exempt from the private-address check; none by default). The stack is
 * environment-agnostic: account and region come from the deploying credentials.
 */
const app = new App();
const context = (key: string, fallback: string): string => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : fallback;
};
const stackName = context('stackName', 'CallSignal');
new CallSignalStack(app, stackName, {
  stackName,
  stage: context('stage', 'dev'),
  logLevel: context('logLevel', 'INFO'),
  callbackAllowedHosts: context('callbackAllowedHosts', '').split(',').map((h) => h.trim()).filter(Boolean),
});
