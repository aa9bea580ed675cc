import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe } from 'vitest';
import { memoryLog } from '../../test/helpers/log.js';
import { FileStore } from './file-store.js';
import { MemoryStore } from './store.js';
import { outboxStoreContract } from './store.contract.js';

describe('MemoryStore keeps the outbox store contract', () => {
  outboxStoreContract(async () => {
    const store = new MemoryStore();
    return { store, reopen: async () => store, cleanup: () => {} };
  });
});

describe('FileStore keeps the outbox store contract', () => {
  outboxStoreContract(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
    const make = () => new FileStore({ dir, maxBytes: 1024 * 1024, segmentBytes: 256, log: memoryLog().log });
    return { store: make(), reopen: async () => make(), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  });
});
