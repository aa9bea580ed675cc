import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWireless } from '../drivers/network/codec.js';
import { removeTempDirs, tempDir } from './temp-dirs.js';
import { FileTree } from './file-tree.js';
import { SimNetwork } from './network.js';

afterAll(() => removeTempDirs());

function tree() {
  const dir = tempDir();
  const sys = new FileTree(path.join(dir, 'sys'));
  const proc = new FileTree(path.join(dir, 'proc'));
  const read = (tree: FileTree, file: string) => fs.readFileSync(tree.path(file), 'utf8');
  return { sys, proc, read };
}

describe('simulated network interface', () => {
  it('writes operstate, carrier and statistics as the net class shows them', () => {
    const { sys, proc, read } = tree();
    const sim = new SimNetwork(sys, proc, 'wwan0');
    expect(read(sys, 'class/net/wwan0/operstate')).toBe('unknown\n');
    expect(read(sys, 'class/net/wwan0/carrier')).toBe('1\n');
    sim.advance({ rx: 2, tx: 1, rxDropped: 1 });
    expect(read(sys, 'class/net/wwan0/statistics/rx_packets')).toBe('2\n');
    expect(read(sys, 'class/net/wwan0/statistics/rx_bytes')).toBe('1200\n');
    expect(read(sys, 'class/net/wwan0/statistics/rx_dropped')).toBe('1\n');
    sim.resetCounters();
    expect(read(sys, 'class/net/wwan0/statistics/rx_packets')).toBe('0\n');
  });

  it('makes carrier unreadable while administratively down, and a file again after', () => {
    const { sys, proc, read } = tree();
    const sim = new SimNetwork(sys, proc, 'eth0', { operstate: 'up' });
    sim.set({ adminDown: true });
    expect(read(sys, 'class/net/eth0/operstate')).toBe('down\n');
    expect(() => read(sys, 'class/net/eth0/carrier')).toThrow(/EISDIR/);
    sim.set({ adminDown: false, carrier: 0 });
    expect(read(sys, 'class/net/eth0/carrier')).toBe('0\n');
  });

  it('removes the interface folder while not present', () => {
    const { sys, proc } = tree();
    const sim = new SimNetwork(sys, proc, 'wwan0');
    sim.set({ present: false });
    expect(sys.exists('class/net/wwan0')).toBe(false);
    sim.set({ present: true });
    expect(sys.exists('class/net/wwan0/operstate')).toBe(true);
  });

  it('writes a Wi-Fi line in /proc/net/wireless in the kernel layout', () => {
    const { sys, proc, read } = tree();
    new SimNetwork(sys, proc, 'wlan0', { operstate: 'up', wireless: { linkQuality: 54, levelDbm: -56 } });
    const text = read(proc, 'net/wireless');
    expect(text.split('\n')[2]).toBe(' wlan0: 0000   54.  -56.  -256.        0      0      0      0      0        0');
    expect(parseWireless(text, 'wlan0').value).toMatchObject({ linkQuality: 54, levelDbm: -56 });
  });

  it('refuses a field it does not have', () => {
    const { sys, proc } = tree();
    expect(() => new SimNetwork(sys, proc).set({ speed: 100 } as never)).toThrow(/no field "speed"/);
  });
});
