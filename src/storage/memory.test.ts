import { runStorageCompliance } from './compliance.ts';
import { MemoryEngine } from './memory.ts';

runStorageCompliance('memory', async () => new MemoryEngine());
