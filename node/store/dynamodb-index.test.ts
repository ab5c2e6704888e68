/** Runs the index suite against a real DynamoDB-compatible server (dynalite) started here. */
import { before, after } from 'node:test';
import { indexSuite } from './index.conformance.ts';
import { DynamoDbChunkIndex } from './index-backends.ts';
import { startDynalite, type TestServer } from './test-servers.ts';

let server: TestServer;
before(async () => {
  server = await startDynalite();
});
after(() => server.close());

const common = { region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test' };
indexSuite('DynamoDbChunkIndex on dynalite (on-demand)', async (space) => new DynamoDbChunkIndex({ ...common, endpoint: server.endpoint, tablePrefix: `od_${space}_` }));
indexSuite('DynamoDbChunkIndex on dynalite (provisioned)', async (space) =>
  new DynamoDbChunkIndex({ ...common, endpoint: server.endpoint, tablePrefix: `prov_${space}_`, billingMode: 'PROVISIONED', readCapacityUnits: 50, writeCapacityUnits: 50 }),
);
