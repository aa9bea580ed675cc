import { DeviceError } from '../../basics/errors.js';
import { SerialLine } from '../serial/line.js';
import { awaitReply, Turns, type AwaitedReply } from '../serial/reply.js';
import type { Driver, DriverEnv, SelfTest } from '../types.js';
import {
  COMMANDS,
  frameForLog,
  parseEvent,
  parseStatus,
  parseVersion,
  ReaderDeframer,
  requestFrame,
  selfTestResult,
  type Command,
  type Frame,
  type ReaderVersion,
} from './codec.js';
import type { CardReaderReading, ReaderEvent, ReaderStatus } from '../../protocol/readings.js';

export interface CardReaderConfig {
  path: string;
  baudRate: number;
  pollSeconds: number;
}

/** SPEC.md section 5: each command is answered within this. */
export const COMMAND_TIMEOUT_MS = 1_000;

const NAMES: Record<Command, string> = { 0x53: "'S' status", 0x56: "'V' version", 0x54: "'T' self-test", 0x45: "'E' event" };

/**
 * The card reader on a serial line: one command at a time, each answered by ACK and its
 * response frame (or NAK) within 1 s. Events arrive between replies and are only counted.
 */
export function createCardReaderDriver(config: CardReaderConfig, env: Pick<DriverEnv, 'serial' | 'clock' | 'log'>): Driver<CardReaderReading> {
  const { clock, log } = env;
  const line = new SerialLine(env.serial, { path: config.path, baudRate: config.baudRate }, { clock, log });
  const deframer = new ReaderDeframer();
  const turns = new Turns();
  const events: Record<ReaderEvent, number> = { cardInserted: 0, readOk: 0, readError: 0, cardData: 0 };
  let awaited: { cmd: Command; reply: AwaitedReply<Frame> } | undefined;
  let refusals = 0;
  let strays = 0;
  let version: ReaderVersion | undefined;
  let versionAsked = false;
  let previous: { reads: number; readErrors: number } | undefined;
  let counterResets = 0;

  // The version is asked once per open: a reader that restarts may come back with new firmware.
  line.onOpen(() => {
    version = undefined;
    versionAsked = false;
  });

  line.onData((chunk) => {
    for (const token of deframer.push(chunk)) {
      if (token.kind === 'nak') {
        refusals += 1;
        awaited?.reply.reject(new DeviceError('PROTOCOL', `the reader refused ${NAMES[awaited.cmd]} (NAK)`));
      } else if (token.kind === 'frame') {
        onFrame(token.frame);
      }
    }
  });

  function onFrame(frame: Frame): void {
    log.debug({ frame: frameForLog(frame) }, 'card reader frame in');
    const event = parseEvent(frame);
    if (event) {
      events[event] += 1;
    } else if (awaited && frame.cmd === awaited.cmd) {
      awaited.reply.resolve(frame);
    } else {
      strays += 1;
    }
  }

  async function command(cmd: Command, signal: AbortSignal): Promise<Frame> {
    const reply = awaitReply<Frame>(clock, COMMAND_TIMEOUT_MS, signal, NAMES[cmd]);
    awaited = { cmd, reply };
    try {
      const request = requestFrame(cmd);
      log.debug({ frame: request.toString('hex') }, 'card reader frame out');
      // The reply's time runs from here and covers the write: a write that never drains is a
      // timeout like a silent reader, never a command that hangs.
      line.write(request).catch((error: Error) => reply.reject(error));
      return await reply.promise;
    } finally {
      if (awaited?.reply === reply) awaited = undefined;
    }
  }

  function deltas(status: ReaderStatus): { reads: number; readErrors: number } {
    const last = previous;
    previous = { reads: status.reads, readErrors: status.readErrors };
    if (!last) return { reads: 0, readErrors: 0 };
    if (status.reads < last.reads || status.readErrors < last.readErrors) {
      counterResets += 1;
      log.info({ reads: status.reads, before: last.reads }, 'card reader counters went back: it restarted; counting from 0');
      return { reads: status.reads, readErrors: status.readErrors };
    }
    return { reads: status.reads - last.reads, readErrors: status.readErrors - last.readErrors };
  }

  async function askVersion(signal: AbortSignal): Promise<void> {
    versionAsked = true;
    try {
      version = parseVersion((await command(COMMANDS.version, signal)).data);
    } catch (error) {
      // The version is for the status command only; a reader that does not give it is still read.
      log.debug({ err: error instanceof Error ? error.message : String(error) }, 'card reader version not available');
    }
  }

  return {
    open: () => line.ensureOpen(),
    read(signal) {
      return turns.run(async () => {
        await line.ensureOpen();
        const status = parseStatus((await command(COMMANDS.status, signal)).data);
        if (!versionAsked) await askVersion(signal);
        return {
          ...status,
          sincePrevious: deltas(status),
          counterResets,
          ...version,
          events: { ...events },
          protocolErrors: deframer.protocolErrors + refusals + strays,
        };
      });
    },
    selfTest(signal): Promise<SelfTest> {
      return turns.run(async () => {
        await line.ensureOpen();
        const frame = await command(COMMANDS.selfTest, signal);
        const { pass, result } = selfTestResult(frame.status);
        return { pass, detail: { result, code: `0x${frame.status.toString(16).padStart(2, '0')}` } };
      });
    },
    close: () => line.close(),
  };
}
