import type { Counters } from './codec.js';

/**
 * What the link has carried since the agent started: the interface's bytes both ways, summed
 * from the poll-to-poll increases of its counters (so a counter that goes back to 0 when a driver
 * reloads loses nothing but the bytes of one interval), and the agent's own MQTT bytes.
 */
export interface DataUse {
  /** When counting began (the agent's first poll of the interface). */
  since: number;
  rxBytes: number;
  txBytes: number;
  agentSentBytes?: number;
  agentReceivedBytes?: number;
}

export interface LinkTraffic {
  bytesSent: number;
  bytesReceived: number;
}

export class DataUseCounter {
  private rx = 0;
  private tx = 0;

  constructor(private readonly since: number) {}

  add(deltas: Counters | undefined): void {
    this.rx += deltas?.rx_bytes ?? 0;
    this.tx += deltas?.tx_bytes ?? 0;
  }

  figures(agent: LinkTraffic | undefined): DataUse {
    const use: DataUse = { since: this.since, rxBytes: this.rx, txBytes: this.tx };
    if (agent) {
      use.agentSentBytes = agent.bytesSent;
      use.agentReceivedBytes = agent.bytesReceived;
    }
    return use;
  }
}
