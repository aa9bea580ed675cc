import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../sim/temp-dirs.js';
import { logFiles, queryLogs } from './log-query.js';

afterAll(removeTempDirs);

function write(dir: string, name: string, records: object[]): void {
  fs.writeFileSync(path.join(dir, name), records.map((record) => `${JSON.stringify(record)}\n`).join(''));
}

const at = (time: number, level: number, msg: string, device?: string) => ({ level, time, ...(device ? { device } : {}), msg });

describe('the logs query', () => {
  const dir = tempDir();
  write(dir, 'agent.log.2', [at(1, 30, 'oldest'), at(2, 40, 'Battery LOW', 'battery')]);
  write(dir, 'agent.log.1', [at(3, 20, 'debug line', 'battery'), at(4, 50, 'printer error', 'printer')]);
  fs.appendFileSync(path.join(dir, 'agent.log.1'), 'not json\n');
  write(dir, 'agent.log', [at(5, 30, 'card 4111 1111 1111 1111', 'cardReader'), at(6, 40, 'newest', 'system')]);
  fs.writeFileSync(path.join(dir, 'other.log'), `${JSON.stringify(at(7, 60, 'not ours'))}\n`);
  const files = logFiles(dir);
  const msgs = async (query: Parameters<typeof queryLogs>[1]) => (await queryLogs(files, query)).map((line) => JSON.parse(line).msg);

  it('reads only the agent files, oldest first', () => {
    expect(files.map((file) => path.basename(file))).toEqual(['agent.log.2', 'agent.log.1', 'agent.log']);
    expect(logFiles(path.join(dir, 'missing'))).toEqual([]);
  });

  it('keeps the newest lines, newest last, skipping what is not a record', async () => {
    expect(await msgs({ lines: 200 })).toEqual(['oldest', 'Battery LOW', 'debug line', 'printer error', 'card 411111******1111', 'newest']);
    expect(await msgs({ lines: 2 })).toEqual(['card 411111******1111', 'newest']);
  });

  it('filters by minimum level, time, device and plain text in any case', async () => {
    expect(await msgs({ lines: 200, level: 'warn' })).toEqual(['Battery LOW', 'printer error', 'newest']);
    expect(await msgs({ lines: 200, since: 2, until: 4 })).toEqual(['Battery LOW', 'debug line', 'printer error']);
    expect(await msgs({ lines: 200, device: 'battery' })).toEqual(['Battery LOW', 'debug line']);
    expect(await msgs({ lines: 200, grep: 'battery low' })).toEqual(['Battery LOW']);
    expect(await msgs({ lines: 200, grep: '.*' })).toEqual([]);
    expect(await msgs({ lines: 200, level: 'warn', device: 'battery', grep: 'low', since: 1, until: 6 })).toEqual(['Battery LOW']);
  });
});
