import { describeStorageConformance } from '@pm/core/conformance';
import { afterAll, describe } from 'vitest';
import { openPostgresStorage, type PostgresStorageProvider } from '../src/index.js';
import { dropSchemas, openTestStorage, PG_URL, SKIP_MESSAGE } from './pg.js';

afterAll(dropSchemas);

describe.skipIf(!PG_URL)(PG_URL ? 'postgres' : SKIP_MESSAGE, () => {
  describeStorageConformance('postgres', () => openTestStorage(), {
    reopen: (closed) =>
      openPostgresStorage({ url: PG_URL as string, schema: (closed as PostgresStorageProvider).schema }),
    propertyRuns: 15,
  });
});
