import { describe, expect, it } from 'vitest';
import { memoryLine } from './memory-transport.js';

const delivered = () => new Promise((resolve) => setImmediate(resolve));

describe('memoryLine', () => {
  it('records what each end writes, for assertions', async () => {
    const wire = memoryLine();
    await wire.host.open();
    await wire.device.open();
    const got: string[] = [];
    wire.device.onData((chunk) => got.push(chunk.toString()));
    await wire.host.write(Buffer.from('AT\r'));
    await delivered();
    expect(got).toEqual(['AT\r']);
    expect(wire.host.written.map((bytes) => bytes.toString())).toEqual(['AT\r']);
  });

  it('keeps no copy with record: false, and still delivers every byte both ways', async () => {
    const wire = memoryLine('/dev/ttySIM1', 'whole', { record: false });
    await wire.host.open();
    await wire.device.open();
    const atDevice: string[] = [];
    const atHost: string[] = [];
    wire.device.onData((chunk) => atDevice.push(chunk.toString()));
    wire.host.onData((chunk) => atHost.push(chunk.toString()));
    for (let poll = 0; poll < 100; poll++) {
      await wire.host.write(Buffer.from([0x10, 0x04, 1]));
      await wire.device.write(Buffer.from([0x16]));
    }
    await delivered();
    expect(atDevice).toHaveLength(100);
    expect(atHost).toHaveLength(100);
    expect(wire.host.written).toHaveLength(0);
    expect(wire.device.written).toHaveLength(0);
  });
});
