import type { MerchantDriver } from '../../drivers/merchant/driver.js';
import type { OpArgs } from '../../protocol/command.js';
import type { MerchantValues } from '../../protocol/readings.js';

/**
 * `merchant-approve` (SPEC.md section 6): the values a technician saw become the merchant baseline
 * only when they are exactly the values in the parameters file now, read afresh, so that a file
 * changed between the technician's `status` and the approval is refused, never approved unseen.
 * The driver keeps the baseline and reports the approved state as a reading; the fault engine
 * clears MERCHANT_CHANGED from it like from any other reading.
 */
export interface MerchantApproval {
  /** What is wrong with approving these values (BAD_REQUEST, naming the field), after a fresh read. */
  problem(values: MerchantValues): Promise<string | undefined>;
  approve(values: MerchantValues, kid: string): Promise<{ approved: MerchantValues; kid: string }>;
}

export function merchantValues(args: OpArgs<'merchant-approve'>): MerchantValues {
  return { mid: args.mid, tid: args.tid, mcc: args.mcc ?? null, name: args.name ?? null };
}

/**
 * `driver` is looked up on use: drivers are created after the commands are wired. `pollNow` runs a
 * poll through the scheduler; a poll already running may have read the file before the command
 * came, so a second, fresh one follows it.
 */
export function merchantApproval(driver: () => MerchantDriver | undefined, pollNow: () => Promise<void>): MerchantApproval {
  return {
    async problem(values) {
      const merchant = driver();
      if (!merchant) return 'merchant is not configured on this terminal';
      await pollNow();
      await pollNow();
      const check = merchant.check(values);
      return check.ok ? undefined : check.message;
    },
    async approve(values, kid) {
      const merchant = driver();
      if (!merchant) throw new Error('merchant is not configured on this terminal');
      const approval = merchant.approve(values, kid);
      // Only a poll between the check and here could change the values: the file changed just now.
      if (!approval.ok) throw new Error(`${approval.message} (changed during the approval)`);
      return { approved: values, kid };
    },
  };
}
