import { SerialLine } from '../serial/line.js';
import { awaitReply, Turns, type AwaitedReply } from '../serial/reply.js';
import type { Driver, DriverEnv, SelfTest } from '../types.js';
import {
  ENABLE_STATUS_BACK,
  parseStatusBlock,
  parseStatusReplies,
  PrinterStatusDecoder,
  STATUS_REQUESTS,
  statusRequest,
  type StatusRequest,
} from './codec.js';
import type { PrinterReading, PrinterStatus } from '../../protocol/readings.js';

export interface PrinterConfig {
  path: string;
  baudRate: number;
  pollSeconds: number;
  statusBack: boolean;
}

/** SPEC.md section 5: each status byte is awaited this long. */
export const STATUS_TIMEOUT_MS = 500;
/** How many times one poll asks DLE EOT 1 to 4 while status back blocks keep arriving. */
const MAX_POLL_ROUNDS = 3;

/**
 * The receipt printer on a serial line. A poll asks DLE EOT 1 to 4 one at a time. With status
 * back on, every open sends `GS a 0x0F`, and each block the printer sends by itself becomes a
 * reading at once, so paper out or an open cover is known without waiting for the next poll.
 */
export function createPrinterDriver(config: PrinterConfig, env: Pick<DriverEnv, 'serial' | 'clock' | 'log'>): Driver<PrinterReading> {
  const { clock, log } = env;
  const line = new SerialLine(env.serial, { path: config.path, baudRate: config.baudRate }, { clock, log });
  const decoder = new PrinterStatusDecoder();
  const turns = new Turns();
  const listeners: ((reading: PrinterReading) => void)[] = [];
  let awaited: AwaitedReply<number> | undefined;
  let blocks = 0;
  /**
   * Blocks that announced a change: each differs from the one before. The first block after
   * `GS a` answers the request with the state as it is, so it sets the baseline and counts as none.
   */
  let changes = 0;
  let lastBlock: string | undefined;

  const reading = (status: PrinterStatus, via: PrinterReading['via']): PrinterReading => ({
    ...status,
    via,
    statusBack: config.statusBack,
    statusBackBlocks: blocks,
    protocolErrors: decoder.protocolErrors,
  });

  line.onData((chunk) => {
    for (const message of decoder.push(chunk)) {
      if (message.kind === 'reply') {
        // A reply nobody waits for is a late one (after its timeout): it must not answer the next request.
        awaited?.resolve(message.byte);
        awaited = undefined;
      } else {
        blocks += 1;
        const hex = Buffer.from(message.bytes).toString('hex');
        if (lastBlock !== undefined && hex !== lastBlock) changes += 1;
        lastBlock = hex;
        const pushed = reading(parseStatusBlock(message.bytes), 'statusBack');
        log.debug({ block: hex }, 'printer status back block');
        for (const listener of listeners) listener(pushed);
      }
    }
  });

  /**
   * A printer forgets status back when its power goes off, which closes nothing on the host: the
   * tty stays. So status back is asked for on every open, and again when a printer that stopped
   * answering answers again.
   */
  let askStatusBack = false;
  async function enableStatusBack(): Promise<void> {
    askStatusBack = false;
    lastBlock = undefined;
    // GS a has no reply; a write that never drains (flow control holding it) fails in as long.
    const sent = awaitReply<void>(clock, STATUS_TIMEOUT_MS, new AbortController().signal, 'GS a (status back) being sent');
    line.write(ENABLE_STATUS_BACK).then(() => sent.resolve(), (error: Error) => sent.reject(error));
    try {
      await sent.promise;
    } catch (error) {
      askStatusBack = config.statusBack;
      throw error;
    }
  }
  if (config.statusBack) line.onOpen(enableStatusBack);

  async function ask(n: StatusRequest, signal: AbortSignal): Promise<number> {
    const reply = awaitReply<number>(clock, STATUS_TIMEOUT_MS, signal, `DLE EOT ${n}`);
    awaited = reply;
    try {
      // The reply's time runs from here and covers the write: a write that never drains (CTS
      // held, nobody reading) is a timeout like a silent printer, never a poll that hangs.
      line.write(statusRequest(n)).catch((error: Error) => reply.reject(error));
      return await reply.promise;
    } finally {
      if (awaited === reply) awaited = undefined;
    }
  }

  function poll(signal: AbortSignal): Promise<PrinterReading> {
    return turns.run(async () => {
      await line.ensureOpen();
      let replies: number[] = [];
      try {
        // A status back block that announces a change between the replies means the earlier
        // replies predate it: such a mix, read after the block, would undo the change until the
        // next poll. So the printer is asked again (a few times at most: it may keep changing).
        for (let round = 0; round < MAX_POLL_ROUNDS; round++) {
          const changesBefore = changes;
          replies = [];
          for (const n of STATUS_REQUESTS) replies.push(await ask(n, signal));
          if (changes === changesBefore) break;
        }
      } catch (error) {
        askStatusBack = config.statusBack;
        throw error;
      }
      log.debug({ replies: Buffer.from(replies).toString('hex') }, 'printer status');
      if (askStatusBack) await enableStatusBack();
      return reading(parseStatusReplies(replies as [number, number, number, number]), 'poll');
    });
  }

  return {
    open: () => line.ensureOpen(),
    read: poll,
    watch(listener) {
      listeners.push(listener);
    },
    async selfTest(signal): Promise<SelfTest> {
      const status = await poll(signal);
      const error = status.cutterError || status.overheat || status.failure || status.recoverableError;
      return { pass: !status.offline && !error, detail: { ...status } };
    },
    close: () => line.close(),
  };
}
