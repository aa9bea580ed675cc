/**
 * What every simulated device's `set` checks first: a field the device does not have is an
 * error, so that a typo in a scenario or in `pos-agent sim set` fails loudly, not silently sets
 * nothing. `extra` names settable fields that its state leaves out until they are set.
 */
export function checkFields<T extends object>(device: string, change: Partial<T>, current: T, extra: readonly string[] = []): Partial<T> {
  for (const key of Object.keys(change)) {
    if (!(key in current) && !extra.includes(key)) throw new Error(`${device} has no field "${key}"`);
  }
  return change;
}
