export { createMemoryStorage, MemoryStorageProvider } from './provider.js';
