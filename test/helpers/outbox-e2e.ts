import { expect } from 'vitest';
import type { AgentProcess } from './agent-process.js';
import { Mosquitto } from './mosquitto.js';
import { Recorder } from './recorder.js';
import { Relay } from './relay.js';
import { waitForLog, type Rig } from './rig.js';
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

/**
 * Waits for the agent to connect again, as long as its backoff said it would wait (full jitter:
 * after a long outage that can be a minute) and some.
 */
export async function waitForReconnect(agent: AgentProcess, since: number): Promise<void> {
  const retries = agent.logLines().filter((line) => line.msg === 'cannot reach the broker' || line.msg === 'lost the broker');
  const last = retries.at(-1);
  const patience = Math.max(0, (last ? last.time + last.retryInMs : since) - Date.now()) + 20_000;
  await waitForLog(agent, (line) => line.msg === 'connected to broker' && line.time >= since, 'connected to broker', patience);
}

/** Every fault the agent logged as written reached the back end, and every raise has its clear. */
export function expectEveryFaultDelivered(rig: Rig, recorder: Recorder, bySeq: Map<number, any>): number[] {
  const written = rig.faultSeqs();
  expect(written.filter((seq) => bySeq.get(seq)?.code === undefined)).toEqual([]);
  expect(raisesWithoutClear(recorder.messages)).toEqual([]);
  return written;
}
