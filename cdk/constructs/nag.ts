import { type CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How cdk-nag spells a CloudFormation reference to `construct`'s resource inside a finding id
 * (`<LogicalId>` for a Ref, `<LogicalId.Arn>` for a GetAtt), so an acknowledgment can name the one
 * finding it accepts (cdk-nag 3 matches ids exactly: `AwsSolutions-IAM5[Resource::<Table….Arn>/index/*]`).
 */
export function nagRef(construct: IConstruct, attribute?: string): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  const logicalId = Stack.of(construct).getLogicalId(element);
  return attribute ? `<${logicalId}.${attribute}>` : `<${logicalId}>`;
}

/** cdk-nag's spelling of `arn:${Partition}:<service>:${Region}:${AccountId}:` (an ARN built by `Stack.formatArn`). */
export const nagArnPrefix = (service: string) => `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:`;
