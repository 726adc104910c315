/**
 * The one table's schema, shared by the CDK stack and the local runtime so they cannot drift.
 * Item kinds and their keys are in `keys.ts`.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds after which DynamoDB may delete the item (records, ended calls). */
  ttlAttribute: 'expiresAt',
  /**
   * Each index projects only what its queries read, so the call item (large, changed at every step of
   * a call) costs an index write only when its index keys change, not on every change.
   */
  indexes: [
    /** Call records of an app by start time (`get_record_by_filter`, reads `record`), and live calls by room (reads the key). */
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: { type: 'INCLUDE', nonKeyAttributes: ['record'] } },
    /** Calls by their next deadline, sharded, for the sweeper: live calls (`SWEEP#`) and ended ones to settle (`SETTLE#`); ids only. */
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: { type: 'KEYS_ONLY' } },
  ],
} as const;

/** An index's projection as DynamoDB's CreateTable takes it. */
function projectionOf(ix: (typeof TABLE_SCHEMA.indexes)[number]) {
  return ix.projection.type === 'INCLUDE' ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...ix.projection.nonKeyAttributes] } : { ProjectionType: ix.projection.type };
}

/** Number of shards of the sweeper index, so no single partition takes every live call. */
export const SWEEP_SHARDS = 8;

/** The CreateTable request for this schema (local runtime; the CDK stack declares the same keys). */
export function createTableInput(tableName: string) {
  const attributes = new Set<string>([TABLE_SCHEMA.partitionKey, TABLE_SCHEMA.sortKey]);
  for (const ix of TABLE_SCHEMA.indexes) {
    attributes.add(ix.partitionKey);
    attributes.add(ix.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: TABLE_SCHEMA.indexes.map((ix) => ({
      IndexName: ix.indexName,
      KeySchema: [
        { AttributeName: ix.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: ix.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: projectionOf(ix),
    })),
  };
}
