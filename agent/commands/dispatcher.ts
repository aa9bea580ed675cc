import type { Logger } from 'pino';
import {
  decodeCommand,
  isOpName,
  MAX_CLOCK_SKEW_SECONDS,
  MAX_LIFETIME_SECONDS,
  type OpArgs,
  type OpName,
} from '../../protocol/command.js';
import type { ReplyErrorCode, ReplyMessage } from '../../protocol/messages.js';
import type { Clock } from '../../basics/clock.js';
import { errorMessage } from '../../basics/errors.js';
import { OPS, parseArgs, type Op, type OpContext } from './ops.js';
import { RefusalLimiter } from './refusal-limiter.js';
import type { ReplayCache } from './replay-cache.js';
import type { TechnicianKeys } from './technician-keys.js';

/**
 * Technician commands from R/cmd to their replies on R/reply (SPEC.md section 6). The checks run
 * in the contract's order, cheapest first, and the first that fails decides the code: form and
 * size, signature, times, replay, op, args, busy. Every command gets exactly one answer or one
 * series of parts; refusals are answered at most once a second. Nothing here throws.
 */

/** Where replies go: the uplink's outbox, with the request's MQTT 5 correlation data. */
export interface ReplySender {
  send(kind: 'reply', build: (seq: number) => ReplyMessage, correlationData?: Buffer): number;
}

export interface DispatcherOptions {
  terminalId: string;
  keys: TechnicianKeys;
  replay: ReplayCache;
  context: OpContext;
  replies: ReplySender;
  clock: Clock;
  log: Logger;
  limiter?: RefusalLimiter;
}

interface Admitted {
  id: string;
  op: OpName;
  args: OpArgs<OpName>;
  kid: string;
}

interface Refusal {
  code: Exclude<ReplyErrorCode, 'FAILED'>;
  message: string;
  id: string | null;
  kid?: string;
  op?: string;
}

export class CommandDispatcher {
  private readonly limiter: RefusalLimiter;
  private keys: TechnicianKeys;
  private running: Admitted | undefined;

  constructor(private readonly options: DispatcherOptions) {
    this.limiter = options.limiter ?? new RefusalLimiter(options.clock, options.log);
    this.keys = options.keys;
  }

  /** A reloaded config's keys: a revoked key is refused from the next command on. */
  setKeys(keys: TechnicianKeys): void {
    this.keys = keys;
  }

  /** One R/cmd message. Resolves when its answer is queued; never rejects. */
  async handle(payload: Buffer, correlationData?: Buffer): Promise<void> {
    try {
      const admission = await this.admit(payload);
      if ('code' in admission) this.refuse(admission, correlationData);
      else await this.execute(admission, correlationData);
    } catch (error) {
      this.options.log.error({ err: errorMessage(error) }, 'a command could not be answered');
    }
  }

  stop(): void {
    this.limiter.stop();
  }

  /**
   * The checks, and for a command that passes them, its claim: its id is used up and, for an
   * exclusive op, the agent busy, in the same turn as the checks, so that no copy can slip in.
   */
  private async admit(payload: Buffer): Promise<Admitted | Refusal> {
    const { replay, terminalId, clock, context } = this.options;
    const { keys } = this;
    const decoded = decodeCommand(payload);
    if (!decoded.ok) return { code: 'BAD_REQUEST', message: decoded.message, id: decoded.id };
    const { payload: command, header, token } = decoded;
    const kid = typeof header.kid === 'string' ? header.kid.slice(0, 128) : undefined;
    const refusal = (code: Refusal['code'], message: string): Refusal => ({ code, message, id: command.id, kid, op: command.op });

    const unsigned = await keys.refuse(token, header);
    if (unsigned) return refusal('UNAUTHORIZED', unsigned);
    if (command.aud !== terminalId) return refusal('UNAUTHORIZED', `aud ${JSON.stringify(command.aud.slice(0, 64))} is not this terminal`);

    const now = clock.now() / 1000;
    if (command.exp <= now) return refusal('EXPIRED', `exp passed ${Math.round(now - command.exp)} s ago`);
    if (command.iat > now + MAX_CLOCK_SKEW_SECONDS) return refusal('EXPIRED', `iat is ${Math.round(command.iat - now)} s in the future`);
    if (command.exp - command.iat > MAX_LIFETIME_SECONDS) {
      return refusal('EXPIRED', `exp is ${Math.round(command.exp - command.iat)} s after iat; at most ${MAX_LIFETIME_SECONDS}`);
    }
    if (replay.has(command.id)) return refusal('REPLAY', `command ${command.id} was already executed`);
    if (!isOpName(command.op)) return refusal('UNKNOWN_OP', `no op ${JSON.stringify(command.op)}`);
    const args = await parseArgs(command.op, command.args, context);
    if (!args.ok) return refusal('BAD_REQUEST', args.message);
    // An op's check may have waited (merchant-approve reads the file afresh): a copy may have been claimed meanwhile.
    if (replay.has(command.id)) return refusal('REPLAY', `command ${command.id} was already executed`);
    if (this.running) return refusal('BUSY', `${this.running.op} (${this.running.id}) is still running`);

    const admitted: Admitted = { id: command.id, op: command.op, args: args.args, kid: String(header.kid) };
    replay.remember(command.id, command.exp);
    if ((OPS[command.op] as Op<OpName>).exclusive) this.running = admitted;
    return admitted;
  }

  private refuse(refusal: Refusal, correlationData: Buffer | undefined): void {
    if (!this.limiter.allow()) return;
    const { code, message, id, kid, op } = refusal;
    this.options.log.warn({ id, code, kid, op }, `command refused: ${code}: ${message}`);
    this.options.replies.send('reply', (seq) => ({ seq, ts: this.options.clock.now(), id, ok: false, error: { code, message } }), correlationData);
  }

  private async execute(command: Admitted, correlationData: Buffer | undefined): Promise<void> {
    const { clock, log, context, replies } = this.options;
    const { id, op, args, kid } = command;
    const started = clock.monotonic();
    // Without grep: a later `logs --grep` (every round of --follow) would find this very line.
    const { grep: _grep, ...shown } = args as { grep?: string };
    log.info({ id, op, kid, args: shown }, `command ${op} accepted`);
    try {
      const parts = await (OPS[op] as Op<OpName>).run(args, context, { id, kid });
      parts.forEach((data, index) => {
        replies.send('reply', (seq) => ({ seq, ts: clock.now(), id, ok: true, data, part: index + 1, parts: parts.length }), correlationData);
      });
      log.info({ id, op, parts: parts.length, ms: Math.round(clock.monotonic() - started) }, `command ${op} done`);
    } catch (error) {
      log.error({ id, op, err: error }, `command ${op} failed`);
      replies.send('reply', (seq) => ({ seq, ts: clock.now(), id, ok: false, error: { code: 'FAILED', message: errorMessage(error) } }), correlationData);
    } finally {
      if (this.running === command) this.running = undefined;
    }
  }
}
