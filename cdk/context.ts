import type { Node } from 'constructs';
import type { CallSignalStackProps } from './callsignal-stack.ts';

/**
 * The stack's settings from CDK context (`-c key=value` or cdk.json), checked once with messages that
 * name the key: `stackName` (default `CallSignal`), `stage` (default `dev`: the data may be destroyed
 * with the stack), `logLevel` (default `INFO`), `callbackAllowedHosts` (comma-separated callback hosts
 * exempt from the private-address check; none by default), `alarmEmail` (alarms e-mail this address
 * through an SNS topic; none by default), `reservedConcurrency` (a positive integer reserved for every
 * function; none by default), `wsStageRatePerSec` / `wsStageBurst` (the WebSocket stage's message
 * throttle across all connections; 2,000/s and 5,000 by default).
 */
export function stackPropsFromContext(node: Node): CallSignalStackProps & { stackName: string } {
  const text = (key: string, fallback: string): string => {
    const value: unknown = node.tryGetContext(key);
    return typeof value === 'string' && value !== '' ? value : fallback;
  };
  const alarmEmail = text('alarmEmail', '');
  if (alarmEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) throw new Error(`context alarmEmail must be an e-mail address, got "${alarmEmail}"`);
  return {
    stackName: text('stackName', 'CallSignal'),
    stage: text('stage', 'dev'),
    logLevel: text('logLevel', 'INFO'),
    callbackAllowedHosts: text('callbackAllowedHosts', '').split(',').map((h) => h.trim()).filter(Boolean),
    alarmEmail: alarmEmail || undefined,
    reservedConcurrency: positiveInteger(node, 'reservedConcurrency'),
    wsStageRatePerSec: positiveInteger(node, 'wsStageRatePerSec'),
    wsStageBurst: positiveInteger(node, 'wsStageBurst'),
  };
}

/** `-c reservedConcurrency=5` arrives as a string, cdk.json's `5` as a number: both are accepted. */
function positiveInteger(node: Node, key: string): number | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`context ${key} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}
