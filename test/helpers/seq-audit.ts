import type { Received } from './recorder.js';

/**
 * What a back end can tell from the `seq` of the heartbeats, faults and replies it received
 * (SPEC.md section 4): a gap is a loss, a repeat must be the same message (a QoS 1 redelivery),
 * and messages come in seq order apart from redeliveries.
 */
export interface SeqAudit {
  /** Each seq once, in the order it was first received. */
  firstSeen: number[];
  /** Seqs received more than once, each with the same payload every time. */
  repeated: number[];
  /** Seqs received more than once with different payloads: a reused seq, never allowed. */
  conflicting: number[];
  /** Seqs from 1 to `upTo` (or the highest seen) that never arrived. */
  missing: number[];
  /** Seqs first received after a higher one. */
  outOfOrder: number[];
  /** The payload first received for each seq, as JSON. */
  bySeq: Map<number, any>;
}

const SEQUENCED = /\/(heartbeat|fault|reply)$/;

export function auditSeqs(messages: readonly Received[], upTo?: number): SeqAudit {
  const payloads = new Map<number, string>();
  const bySeq = new Map<number, any>();
  const audit: SeqAudit = { firstSeen: [], repeated: [], conflicting: [], missing: [], outOfOrder: [], bySeq };
  let highest = 0;
  for (const message of messages) {
    if (!SEQUENCED.test(message.topic) || typeof message.json?.seq !== 'number') continue;
    const { seq } = message.json;
    const payload = message.payload.toString();
    const earlier = payloads.get(seq);
    if (earlier !== undefined) {
      (earlier === payload ? audit.repeated : audit.conflicting).push(seq);
      continue;
    }
    payloads.set(seq, payload);
    bySeq.set(seq, message.json);
    audit.firstSeen.push(seq);
    if (seq < highest) audit.outOfOrder.push(seq);
    highest = Math.max(highest, seq);
  }
  for (let seq = 1; seq <= (upTo ?? highest); seq++) if (!payloads.has(seq)) audit.missing.push(seq);
  return audit;
}

/**
 * Fault raises without a clear of the same id, among the faults received. A back end drops a
 * repeated seq (a QoS 1 redelivery, SPEC.md section 4), so a raise redelivered after its clear,
 * as a broker restarted from its last autosave does, is not an open fault.
 */
export function raisesWithoutClear(messages: readonly Received[]): string[] {
  const open = new Map<string, number>();
  const seen = new Set<number>();
  for (const message of messages) {
    if (!message.topic.endsWith('/fault') || !message.json) continue;
    const { id, state, seq } = message.json;
    if (seen.has(seq)) continue;
    seen.add(seq);
    if (state === 'raised') open.set(id, (open.get(id) ?? 0) + 1);
    if (state === 'cleared') open.delete(id);
  }
  return [...open.keys()];
}

/** The states each fault id went through, in seq order, counting every seq once. */
export function faultEpisodes(audit: SeqAudit): Map<string, string[]> {
  const episodes = new Map<string, string[]>();
  for (const seq of [...audit.firstSeen].sort((a, b) => a - b)) {
    const json = audit.bySeq.get(seq);
    if (typeof json?.id !== 'string' || (json.state !== 'raised' && json.state !== 'cleared')) continue;
    episodes.set(json.id, [...(episodes.get(json.id) ?? []), json.state]);
  }
  return episodes;
}
