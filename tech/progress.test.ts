import { describe, expect, it } from 'vitest';
import { Progress } from './progress.js';

describe('Progress', () => {
  it('rewrites one line on a terminal and clears it at the end', () => {
    const written: string[] = [];
    const progress = new Progress({ isTTY: true, write: (text: string) => written.push(text) });
    progress.show('part 1 of 3');
    progress.show('part 2 of 3');
    progress.done();
    progress.done();
    expect(written).toEqual(['\r\u001b[2Kpart 1 of 3', '\r\u001b[2Kpart 2 of 3', '\r\u001b[2K']);
  });

  it('writes nothing to a pipe or a file', () => {
    const written: string[] = [];
    const progress = new Progress({ isTTY: false, write: (text: string) => written.push(text) });
    progress.show('part 1 of 3');
    progress.done();
    expect(written).toEqual([]);
  });
});
