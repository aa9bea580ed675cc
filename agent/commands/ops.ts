import type { SelfTest } from '../../drivers/types.js';
import { OP_ARGS, type OpArgs, type OpName } from '../../protocol/command.js';
import type { DeviceName } from '../../protocol/devices.js';
import type { AgentStatus } from '../status.js';
import type { FaultJournal } from '../fault-journal.js';
import type { TemporaryLogLevel } from '../log-level.js';
import type { MaintenanceState } from '../maintenance.js';
import { packLogParts } from './log-parts.js';
import { logFiles, queryLogs } from './log-query.js';
import { merchantValues, type MerchantApproval } from './merchant-approval.js';

/**
 * What each technician op does (SPEC.md section 6). An op returns the `data` of each reply part:
 * one for every op but `logs`. Ops reach the agent only through this context: none runs a shell,
 * and the only paths they touch are the log folder and the fault journal in the state folder.
 */

export interface OpContext {
  devices: readonly DeviceName[];
  logDir: string;
  status(): AgentStatus;
  selfTest(device?: DeviceName): Promise<Partial<Record<DeviceName, SelfTest>>>;
  setMaintenance(on: boolean, reason?: string, minutes?: number): Promise<MaintenanceState>;
  rebirth(): void;
  journal: FaultJournal;
  logLevel: TemporaryLogLevel;
  merchant: MerchantApproval;
}

/** Who sent the command being run. */
export interface Sender {
  id: string;
  kid: string;
}

export interface Op<O extends OpName> {
  /** Runs alone: while it runs, every command is BUSY. */
  exclusive?: boolean;
  /** A problem with args that the schema cannot see (a device this terminal does not have). */
  check?(args: OpArgs<O>, context: OpContext): string | undefined | Promise<string | undefined>;
  run(args: OpArgs<O>, context: OpContext, sender: Sender): Promise<unknown[]>;
}

const notConfigured = (device: DeviceName | undefined, context: OpContext) =>
  device !== undefined && !context.devices.includes(device) ? `${device} is not configured on this terminal` : undefined;

export const OPS: { [O in OpName]: Op<O> } = {
  status: {
    run: async (_args, context) => [context.status()],
  },
  faults: {
    run: async (args, context) => [{ faults: await context.journal.query({ since: args.since, limit: args.limit }) }],
  },
  logs: {
    exclusive: true,
    check: (args) => (args.since !== undefined && args.until !== undefined && args.since > args.until ? 'since is after until' : undefined),
    run: async (args, context) => packLogParts(await queryLogs(logFiles(context.logDir), args)),
  },
  diag: {
    exclusive: true,
    check: (args, context) => notConfigured(args.device, context),
    run: async (args, context) => {
      const devices = await context.selfTest(args.device);
      return [{ pass: Object.values(devices).every((test) => test.pass), devices }];
    },
  },
  loglevel: {
    run: async (args, context) => [context.logLevel.set(args.level, args.minutes)],
  },
  maintenance: {
    run: async (args, context) => [await context.setMaintenance(args.on, args.on ? args.reason : undefined, args.on ? args.minutes : undefined)],
  },
  rebirth: {
    run: async (_args, context) => {
      context.rebirth();
      return [{ republished: ['state', 'faults'] }];
    },
  },
  'merchant-approve': {
    check: (args, context) => context.merchant.problem(merchantValues(args)),
    run: async (args, context, sender) => [await context.merchant.approve(merchantValues(args), sender.kid)],
  },
};

/** The args of an op, validated, with defaults; or what is wrong with them. */
export async function parseArgs<O extends OpName>(op: O, args: unknown, context: OpContext): Promise<{ ok: true; args: OpArgs<O> } | { ok: false; message: string }> {
  const parsed = OP_ARGS[op].safeParse(args);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys' ? `${issue.keys.join(', ')}: not an argument of ${op}` : `${issue.path.join('.') || 'args'}: ${issue.message}`,
    );
    return { ok: false, message: problems.join('; ') };
  }
  const valid = parsed.data as OpArgs<O>;
  const problem = await (OPS[op] as Op<O>).check?.(valid, context);
  return problem ? { ok: false, message: problem } : { ok: true, args: valid };
}
