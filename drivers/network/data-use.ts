import type { Counters, DataUse } from '../../protocol/network-reading.js';

export interface LinkTraffic {
  bytesSent: number;
  bytesReceived: number;
}

/**
 * Sums the interface's bytes from the poll-to-poll increases of its counters, so a counter that
 * goes back to 0 when a driver reloads loses nothing but the bytes of one interval.
 */
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
