import type { Paper } from '../../protocol/heartbeat.js';
import type { PrinterStatus } from '../../protocol/readings.js';

/**
 * ESC/POS real-time status (DEVICES.md, "Printer: ESC/POS"): DLE EOT requests, their one-byte
 * replies, and Automatic Status Back blocks. Replies carry no length and no checksum, so bytes
 * are told apart by their bit shape alone, never by how they happen to arrive in chunks.
 */

export type StatusRequest = 1 | 2 | 3 | 4;
export const STATUS_REQUESTS: readonly StatusRequest[] = [1, 2, 3, 4];

/** `DLE EOT n`: the printer answers at once with one byte, even while offline. */
export function statusRequest(n: StatusRequest): Buffer {
  return Buffer.from([0x10, 0x04, n]);
}

/** `GS a 0x0F`: status back on drawer, online/offline, error and roll-paper changes. */
export const ENABLE_STATUS_BACK = Buffer.from([0x1d, 0x61, 0x0f]);

export const XON = 0x11;
export const XOFF = 0x13;

/** `0xx1xx10`: a DLE EOT reply. */
export const isStatusReply = (byte: number) => (byte & 0x93) === 0x12;
/** `0xx1xx00`: the first byte of a status back block. */
export const isBlockStart = (byte: number) => (byte & 0x93) === 0x10;
/** `0xx0xxxx`: bytes 2 to 4 of a status back block. */
export const isBlockByte = (byte: number) => (byte & 0x90) === 0x00;

const bit = (byte: number, mask: number) => (byte & mask) !== 0;

function paperState(nearEnd: boolean, end: boolean): Paper {
  if (end) return 'out';
  return nearEnd ? 'low' : 'ok';
}

/** The replies to DLE EOT 1, 2, 3 and 4, in that order. */
export function parseStatusReplies(replies: readonly [number, number, number, number]): PrinterStatus {
  const [printer, offlineCause, errorCause, rollPaper] = replies;
  const paperEndStop = bit(offlineCause, 0x20);
  return {
    offline: bit(printer, 0x08),
    // Either bit of each pair: printers differ in whether they set one or both.
    paper: paperState(bit(rollPaper, 0x0c), bit(rollPaper, 0x60) || paperEndStop),
    coverOpen: bit(offlineCause, 0x04),
    cutterError: bit(errorCause, 0x08),
    overheat: bit(errorCause, 0x40),
    failure: bit(errorCause, 0x20),
    recoverableError: bit(errorCause, 0x04),
    drawerPinHigh: bit(printer, 0x04),
    feedButton: bit(printer, 0x40),
    paperEndStop,
    feeding: bit(offlineCause, 0x08),
    errorOccurred: bit(offlineCause, 0x40),
    waitingForRecovery: bit(printer, 0x20),
  };
}

/** A 4-byte Automatic Status Back block. */
export function parseStatusBlock(block: readonly number[]): PrinterStatus {
  const [first = 0, errors = 0, paper = 0] = block;
  return {
    offline: bit(first, 0x08),
    paper: paperState(bit(paper, 0x03), bit(paper, 0x0c)),
    coverOpen: bit(first, 0x20),
    cutterError: bit(errors, 0x08),
    overheat: bit(errors, 0x40),
    failure: bit(errors, 0x20),
    recoverableError: bit(errors, 0x04),
    drawerPinHigh: bit(first, 0x04),
    feedButton: bit(first, 0x40),
  };
}

export type PrinterMessage = { kind: 'reply'; byte: number } | { kind: 'block'; bytes: number[] };

/**
 * Splits the byte stream from a printer into DLE EOT replies and status back blocks. XON and
 * XOFF are flow control and are skipped wherever they fall; a reply may fall inside a block,
 * since real-time replies are sent as soon as a request arrives. Any other byte is dropped
 * and counted. It holds at most the three bytes of an unfinished block.
 */
export class PrinterStatusDecoder {
  protocolErrors = 0;
  private block: number[] = [];

  get buffered(): number {
    return this.block.length;
  }

  push(chunk: Uint8Array): PrinterMessage[] {
    const messages: PrinterMessage[] = [];
    for (const byte of chunk) {
      if (byte === XON || byte === XOFF) continue;
      if (isStatusReply(byte)) {
        messages.push({ kind: 'reply', byte });
      } else if (isBlockStart(byte)) {
        // A block cut short by the start of the next one.
        if (this.block.length > 0) this.protocolErrors += 1;
        this.block = [byte];
      } else if (isBlockByte(byte) && this.block.length > 0) {
        this.block.push(byte);
        if (this.block.length === 4) {
          messages.push({ kind: 'block', bytes: this.block });
          this.block = [];
        }
      } else {
        this.protocolErrors += 1;
        this.block = [];
      }
    }
    return messages;
  }
}
