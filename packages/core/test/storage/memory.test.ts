import { describeStorageConformance } from '../../src/storage/conformance.js';
import { createMemoryStorage } from '../../src/storage/memory/index.js';

describeStorageConformance('memory', async () => createMemoryStorage());
