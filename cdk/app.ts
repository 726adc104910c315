import { App } from 'aws-cdk-lib';
import { CallSignalStack } from './callsignal-stack.ts';
import { stackPropsFromContext } from './context.ts';

/**
 * The CDK app: one CallSignal stack, configured from CDK context (see `context.ts` for the keys and
 * their defaults). The stack is environment-agnostic: account and region come from the deploying
 * credentials.
 */
const app = new App();
const props = stackPropsFromContext(app.node);
new CallSignalStack(app, props.stackName, props);
