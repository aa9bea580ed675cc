import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FaultMessage } from '../protocol/messages.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import { FaultJournal } from './fault-journal.js';

afterAll(removeTempDirs);

function transition(seq: number, state: 'raised' | 'cleared', id = `f-${seq}`): FaultMessage {
  return {
    seq, ts: 1_000 * seq, id, device: 'battery', code: 'BATTERY_LOW', severity: 'warning', state, raisedAt: 1_000 * seq,
    ...(state === 'cleared' ? { clearedAt: 1_000 * seq } : {}), message: 'Battery is low', detail: { percent: 12 },
  };
}

describe('FaultJournal', () => {
  it('keeps every raise and clear across a restart, and answers since and limit, oldest first', async () => {
    const dir = tempDir();
    let journal = new FaultJournal(dir);
    journal.record(transition(1, 'raised'));
    journal.record(transition(2, 'cleared', 'f-1'));
    journal.close();

    journal = new FaultJournal(dir);
    journal.record(transition(3, 'raised'));
    expect((await journal.query({ limit: 100 })).map((entry) => [entry.id, entry.state])).toEqual([['f-1', 'raised'], ['f-1', 'cleared'], ['f-3', 'raised']]);
    expect((await journal.query({ since: 2_000, limit: 100 })).map((entry) => entry.seq)).toEqual([2, 3]);
    expect((await journal.query({ limit: 1 })).map((entry) => entry.seq)).toEqual([3]);
    journal.close();
  });

  it('does not journal a transition twice (a raise sent again after a crash)', async () => {
    const dir = tempDir();
    let journal = new FaultJournal(dir);
    journal.record(transition(1, 'raised'));
    journal.close();
    journal = new FaultJournal(dir);
    journal.record(transition(1, 'raised'));
    journal.record(transition(2, 'cleared', 'f-1'));
    journal.record(transition(2, 'cleared', 'f-1'));
    expect(await journal.query({ limit: 100 })).toHaveLength(2);
    journal.close();
  });

  it('survives a line cut short by a crash and stays bounded by rotation', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'fault-journal.jsonl'), `${JSON.stringify(transition(1, 'raised'))}\n{"seq":2,"ts":`);
    const journal = new FaultJournal(dir, { fileBytes: 2_048, files: 3 });
    journal.record(transition(3, 'raised'));
    expect((await journal.query({ limit: 100 })).map((entry) => entry.seq)).toEqual([1, 3]);
    for (let seq = 4; seq < 200; seq++) journal.record(transition(seq, 'raised'));
    const files = fs.readdirSync(dir).filter((name) => name.startsWith('fault-journal'));
    expect(files.sort()).toEqual(['fault-journal.jsonl', 'fault-journal.jsonl.1', 'fault-journal.jsonl.2']);
    const kept = await journal.query({ limit: 1_000 });
    expect(kept.at(-1)!.seq).toBe(199);
    expect(kept.length).toBeLessThan(196);
    journal.close();
  });
});
