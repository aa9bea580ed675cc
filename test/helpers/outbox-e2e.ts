import { expect } from 'vitest';
import { Mosquitto } from '../../sim/mosquitto.js';
import { Recorder } from './recorder.js';
import { Relay } from './relay.js';
import type { Rig } from './rig.js';
import { raisesWithoutClear } from './seq-audit.js';

/** Brokers, relays and back ends that one test starts, all stopped by `cleanup()`. */
export class Fixtures {
  private readonly brokers: Mosquitto[] = [];
  private readonly relays: Relay[] = [];
  private readonly recorders: Recorder[] = [];

  constructor(private readonly mosquitto: string) {}

  async broker(extra: string[] = []): Promise<Mosquitto> {
    const broker = await Mosquitto.start(this.mosquitto, { extra });
    this.brokers.push(broker);
    return broker;
  }

  async relay(broker: Mosquitto): Promise<Relay> {
    const relay = await Relay.start(broker.port);
    this.relays.push(relay);
    return relay;
  }

  /** A back end subscribed to the rig's topics on its own connection. */
  async backend(url: string, rig: Rig, options = {}): Promise<Recorder> {
    const recorder = await Recorder.connect(url, `pos/v1/${rig.terminalId}/#`, options);
    this.recorders.push(recorder);
    return recorder;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.recorders.splice(0).map((recorder) => recorder.close()));
    await Promise.all(this.relays.splice(0).map((relay) => relay.close()));
    await Promise.all(this.brokers.splice(0).map((broker) => broker.kill('SIGKILL')));
  }
}

/** Every fault the agent logged as written reached the back end, and every raise has its clear. */
export function expectEveryFaultDelivered(rig: Rig, recorder: Recorder, bySeq: Map<number, any>): number[] {
  const written = rig.faultSeqs();
  expect(written.filter((seq) => bySeq.get(seq)?.code === undefined)).toEqual([]);
  expect(raisesWithoutClear(recorder.messages)).toEqual([]);
  return written;
}
