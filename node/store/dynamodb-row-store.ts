/**
 * RowStore on DynamoDB (@aws-sdk/client-dynamodb): one table
 * "<tablePrefix>index" with hash key h (S), range key r (B) and value v (B,
 * omitted when empty). The table is created on open() when absent. Writes and
 * deletes go through BatchWriteItem in groups of 25, and point reads through
 * BatchGetItem in groups of 100; unprocessed items and throttling are retried
 * with capped exponential backoff.
 */
import {
  DynamoDBClient,
  DescribeTableCommand,
  CreateTableCommand,
  BatchWriteItemCommand,
  BatchGetItemCommand,
  QueryCommand,
  type AttributeValue,
  type WriteRequest,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { rowKeyString, type IndexRow, type RangeCondition, type RowKey, type RowStore } from './row-store.ts';
import { storageError, type StorageError } from './errors.ts';

export interface DynamoDbRowStoreConfig {
  /** Endpoint URL (DynamoDB Local, dynalite); unset = AWS for the region. @default undefined */
  endpoint?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** Static credentials; unset = the SDK's default provider chain. @default undefined */
  accessKeyId?: string;
  /** @default undefined */
  secretAccessKey?: string;
  /** Table names start with this. @default 'frankenstein_' */
  tablePrefix?: string;
  /** @default 'PAY_PER_REQUEST' */
  billingMode?: 'PAY_PER_REQUEST' | 'PROVISIONED';
  /** Read capacity units when PROVISIONED. @default 100 */
  readCapacityUnits?: number;
  /** Write capacity units when PROVISIONED. @default 100 */
  writeCapacityUnits?: number;
  /** Create the table on open() when absent. @default true */
  createTables?: boolean;
  /** Retries of throttled requests and unprocessed items. @default 8 */
  maxRetries?: number;
  /** First backoff ceiling in ms (doubles per retry, capped at 5 s). @default 50 */
  minBackoffMs?: number;
}

const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;

export class DynamoDbRowStore implements RowStore {
  #cfg: Required<Omit<DynamoDbRowStoreConfig, 'endpoint' | 'accessKeyId' | 'secretAccessKey'>> & DynamoDbRowStoreConfig;
  #client: DynamoDBClient | undefined;
  readonly table: string;

  constructor(config: DynamoDbRowStoreConfig = {}) {
    this.#cfg = {
      region: 'us-east-1',
      tablePrefix: 'frankenstein_',
      billingMode: 'PAY_PER_REQUEST',
      readCapacityUnits: 100,
      writeCapacityUnits: 100,
      createTables: true,
      maxRetries: 8,
      minBackoffMs: 50,
      ...config,
    };
    this.table = `${this.#cfg.tablePrefix}index`;
  }

  async open(): Promise<void> {
    const c = this.#cfg;
    this.#client = new DynamoDBClient({
      region: c.region,
      ...(c.endpoint !== undefined ? { endpoint: c.endpoint } : {}),
      ...(c.accessKeyId !== undefined && c.secretAccessKey !== undefined ? { credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey } } : {}),
    });
    if (c.createTables) await this.#ensureTable();
  }

  async close(): Promise<void> {
    this.#client?.destroy();
    this.#client = undefined;
  }

  async #ensureTable(): Promise<void> {
    const client = this.#open();
    try {
      const d = await client.send(new DescribeTableCommand({ TableName: this.table }));
      if (d.Table?.TableStatus === 'ACTIVE') return;
    } catch (err) {
      if ((err as Error).name !== 'ResourceNotFoundException') throw mapDynamoError(`Failed to describe DynamoDB table ${JSON.stringify(this.table)}`, err);
      try {
        await client.send(
          new CreateTableCommand({
            TableName: this.table,
            AttributeDefinitions: [
              { AttributeName: 'h', AttributeType: 'S' },
              { AttributeName: 'r', AttributeType: 'B' },
            ],
            KeySchema: [
              { AttributeName: 'h', KeyType: 'HASH' },
              { AttributeName: 'r', KeyType: 'RANGE' },
            ],
            BillingMode: this.#cfg.billingMode,
            ...(this.#cfg.billingMode === 'PROVISIONED'
              ? { ProvisionedThroughput: { ReadCapacityUnits: this.#cfg.readCapacityUnits, WriteCapacityUnits: this.#cfg.writeCapacityUnits } }
              : {}),
          }),
        );
      } catch (err2) {
        // Another process created it first.
        if ((err2 as Error).name !== 'ResourceInUseException') throw mapDynamoError(`Failed to create DynamoDB table ${JSON.stringify(this.table)}`, err2);
      }
    }
    for (let attempt = 0; ; attempt++) {
      const d = await client.send(new DescribeTableCommand({ TableName: this.table }));
      if (d.Table?.TableStatus === 'ACTIVE') return;
      if (attempt > 600) throw storageError('STORE_UNAVAILABLE', `DynamoDB table ${JSON.stringify(this.table)} did not become active: status is ${d.Table?.TableStatus}`);
      await sleep(Math.min(1000, 20 * 2 ** attempt));
    }
  }

  async write(rows: readonly IndexRow[]): Promise<void> {
    // BatchWriteItem refuses two requests for one key in a batch: keep the last.
    const unique = new Map<string, WriteRequest>();
    for (const r of rows) {
      const item: Record<string, AttributeValue> = { h: { S: r.hash }, r: { B: r.range } };
      if (r.value !== undefined && r.value.length > 0) item.v = { B: r.value };
      unique.set(rowKeyString(r), { PutRequest: { Item: item } });
    }
    await this.#batchWrite([...unique.values()], 'write index rows');
  }

  async delete(keys: readonly RowKey[]): Promise<void> {
    const unique = new Map<string, WriteRequest>();
    for (const k of keys) unique.set(rowKeyString(k), { DeleteRequest: { Key: { h: { S: k.hash }, r: { B: k.range } } } });
    await this.#batchWrite([...unique.values()], 'delete index rows');
  }

  async #batchWrite(requests: WriteRequest[], what: string): Promise<void> {
    const client = this.#open();
    const batches: WriteRequest[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) batches.push(requests.slice(i, i + BATCH_WRITE_MAX));
    await Promise.all(
      batches.map(async (batch) => {
        let pending = batch;
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > 0) await this.#backoff(attempt, `Failed to ${what} in DynamoDB table ${JSON.stringify(this.table)}: ${pending.length} items still unprocessed`);
          try {
            const res = await client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }));
            pending = res.UnprocessedItems?.[this.table] ?? [];
          } catch (err) {
            const mapped = mapDynamoError(`Failed to ${what} in DynamoDB table ${JSON.stringify(this.table)}`, err);
            if (mapped.code !== 'STORE_UNAVAILABLE' || attempt >= this.#cfg.maxRetries) throw mapped;
          }
        }
      }),
    );
  }

  async query(hash: string, condition?: RangeCondition): Promise<IndexRow[]> {
    const client = this.#open();
    const values: Record<string, AttributeValue> = { ':h': { S: hash } };
    let expr = 'h = :h';
    if (condition?.prefix !== undefined && condition.prefix.length > 0) {
      expr += ' AND begins_with(r, :p)';
      values[':p'] = { B: condition.prefix };
    }
    const out: IndexRow[] = [];
    // DynamoDB allows one range-key condition: with both, use begins_with and filter gte here.
    const useGte = condition?.gte !== undefined && condition.gte.length > 0;
    if (useGte && values[':p'] === undefined) {
      expr += ' AND r >= :g';
      values[':g'] = { B: condition!.gte! };
    }
    let startKey: Record<string, AttributeValue> | undefined;
    for (let attempt = 0; ; ) {
      const input: QueryCommandInput = { TableName: this.table, KeyConditionExpression: expr, ExpressionAttributeValues: values, ...(startKey ? { ExclusiveStartKey: startKey } : {}) };
      let res;
      try {
        res = await client.send(new QueryCommand(input));
      } catch (err) {
        const mapped = mapDynamoError(`Failed to query DynamoDB table ${JSON.stringify(this.table)} for ${JSON.stringify(hash)}`, err);
        if (mapped.code !== 'STORE_UNAVAILABLE' || attempt >= this.#cfg.maxRetries) throw mapped;
        await this.#backoff(++attempt, mapped.message);
        continue;
      }
      for (const item of res.Items ?? []) {
        const range = item.r!.B!;
        if (useGte && values[':g'] === undefined && Buffer.compare(range, condition!.gte!) < 0) continue;
        out.push({ hash, range, value: item.v?.B });
      }
      startKey = res.LastEvaluatedKey;
      if (startKey === undefined) return out;
    }
  }

  async getMany(keys: readonly RowKey[]): Promise<(IndexRow | undefined)[]> {
    const client = this.#open();
    const found = new Map<string, IndexRow>();
    const unique = new Map<string, RowKey>();
    for (const k of keys) unique.set(rowKeyString(k), k);
    const all = [...unique.values()];
    const batches: RowKey[][] = [];
    for (let i = 0; i < all.length; i += BATCH_GET_MAX) batches.push(all.slice(i, i + BATCH_GET_MAX));
    await Promise.all(
      batches.map(async (batch) => {
        let pending: Record<string, AttributeValue>[] = batch.map((k) => ({ h: { S: k.hash }, r: { B: k.range } }));
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > 0) await this.#backoff(attempt, `Failed to read index rows from DynamoDB table ${JSON.stringify(this.table)}: ${pending.length} keys still unprocessed`);
          try {
            const res = await client.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending } } }));
            for (const item of res.Responses?.[this.table] ?? []) {
              const row: IndexRow = { hash: item.h!.S!, range: item.r!.B!, value: item.v?.B };
              found.set(rowKeyString(row), row);
            }
            pending = res.UnprocessedKeys?.[this.table]?.Keys ?? [];
          } catch (err) {
            const mapped = mapDynamoError(`Failed to read index rows from DynamoDB table ${JSON.stringify(this.table)}`, err);
            if (mapped.code !== 'STORE_UNAVAILABLE' || attempt >= this.#cfg.maxRetries) throw mapped;
          }
        }
      }),
    );
    return keys.map((k) => found.get(rowKeyString(k)));
  }

  async #backoff(attempt: number, message: string): Promise<void> {
    if (attempt > this.#cfg.maxRetries) throw storageError('STORE_UNAVAILABLE', message);
    await sleep(Math.random() * Math.min(5000, this.#cfg.minBackoffMs * 2 ** (attempt - 1)));
  }

  #open(): DynamoDBClient {
    if (this.#client === undefined) throw storageError('STORE_CLOSED', `DynamoDB index table ${JSON.stringify(this.table)} is not open`);
    return this.#client;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const TRANSIENT = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError', 'ServiceUnavailable', 'TimeoutError', 'LimitExceededException']);

export function mapDynamoError(action: string, err: unknown): StorageError {
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const name = (err as Error)?.name ?? '';
  const transient = TRANSIENT.has(name) || (status !== undefined && (status >= 500 || status === 429)) || status === undefined;
  return storageError(transient ? 'STORE_UNAVAILABLE' : 'STORE_BACKEND_ERROR', `${action}: ${name}${status !== undefined ? ` (HTTP ${status})` : ''}: ${(err as Error)?.message ?? String(err)}`, err);
}
