import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '../../cdk/context.ts';

const propsFor = (context: Record<string, unknown>) => stackPropsFromContext(new App({ context }).node);

describe('the stack settings from CDK context', () => {
  it('default to a dev stack named CallSignal, with no alarm e-mail and no reserved concurrency', () => {
    expect(propsFor({})).toEqual({
      stackName: 'CallSignal',
      stage: 'dev',
      logLevel: 'INFO',
      callbackAllowedHosts: [],
      alarmEmail: undefined,
      reservedConcurrency: undefined,
      wsStageRatePerSec: undefined,
      wsStageBurst: undefined,
    });
  });

  it('read alarmEmail, and reservedConcurrency as a number from cdk.json or a string from -c', () => {
    expect(propsFor({ alarmEmail: 'oncall@example.com', reservedConcurrency: 5 })).toMatchObject({ alarmEmail: 'oncall@example.com', reservedConcurrency: 5 });
    expect(propsFor({ reservedConcurrency: '12' }).reservedConcurrency).toBe(12);
    expect(propsFor({ wsStageRatePerSec: '500', wsStageBurst: 800 })).toMatchObject({ wsStageRatePerSec: 500, wsStageBurst: 800 });
    expect(() => propsFor({ wsStageBurst: '-1' })).toThrow(/context wsStageBurst must be a positive integer/);
    expect(propsFor({ callbackAllowedHosts: ' a.example.com, b.example.com ,' }).callbackAllowedHosts).toEqual(['a.example.com', 'b.example.com']);
  });

  it('refuse a reservedConcurrency that is not a positive integer and an alarmEmail that is not an address, naming the key', () => {
    for (const bad of ['0', '-1', '2.5', 'ten', 0, 1.5]) expect(() => propsFor({ reservedConcurrency: bad })).toThrow(/context reservedConcurrency must be a positive integer/);
    expect(() => propsFor({ alarmEmail: 'oncall' })).toThrow(/context alarmEmail must be an e-mail address/);
  });
});
