/**
 * Inside Lambda the credentials are in the environment: bundles replace the SDK's default provider
 * chain (SSO, INI files, web identity, IMDS…) with this, which keeps every function under its size budget.
 */
export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';
