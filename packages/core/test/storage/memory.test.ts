import { describeStorageConformance } from '../../src/conformance/index.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';

describeStorageConformance('memory', async () => createMemoryStorage());
