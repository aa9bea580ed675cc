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
    return { store, reopen: async () => store, crash: async () => store, cleanup: () => {} };
  });
});

/** A killed process leaves its files as they are: the next one opens them beside the old fds. */
function fileFixture(options: { maxBytes: number; segmentBytes: number }) {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
    const make = () => new FileStore({ dir, ...options, log: memoryLog().log });
    return { store: make(), reopen: async () => make(), crash: async () => make(), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  };
}

describe('FileStore keeps the outbox store contract', () => {
  outboxStoreContract(fileFixture({ maxBytes: 1024 * 1024, segmentBytes: 256 }));
});

describe('FileStore keeps the outbox store contract while it compacts under a tight bound', () => {
  outboxStoreContract(fileFixture({ maxBytes: 3 * 1024, segmentBytes: 512 }));
});
