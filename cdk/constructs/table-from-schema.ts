import type { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../lib/store/schema.ts';

/** Options of the one table that are deployment choices, not schema. */
export interface TableFromSchemaOptions {
  removalPolicy: RemovalPolicy;
  deletionProtection: boolean;
}

/**
 * The one CallSignal table, declared from `TABLE_SCHEMA` (the module the local runtime creates its
 * table from), so keys, indexes and the TTL attribute cannot drift between AWS and local.
 */
export function tableFromSchema(scope: Construct, id: string, options: TableFromSchemaOptions): Table {
  const key = (name: string) => ({ name, type: AttributeType.STRING });
  const table = new Table(scope, id, {
    partitionKey: key(TABLE_SCHEMA.partitionKey),
    sortKey: key(TABLE_SCHEMA.sortKey),
    billingMode: BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: options.removalPolicy,
    deletionProtection: options.deletionProtection,
  });
  for (const index of TABLE_SCHEMA.indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: key(index.partitionKey),
      sortKey: key(index.sortKey),
      ...(index.projection.type === 'INCLUDE'
        ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection.nonKeyAttributes] }
        : { projectionType: index.projection.type === 'KEYS_ONLY' ? ProjectionType.KEYS_ONLY : ProjectionType.ALL }),
    });
  }
  return table;
}
