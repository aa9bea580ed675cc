/**
 * The devices the agent knows. The same name is the config key under `devices`, the field in
 * the heartbeat, the `device` of a fault and, in kebab case, the driver's folder.
 */
export const DEVICE_NAMES = ['printer', 'cardReader', 'battery', 'network', 'system', 'app', 'merchant', 'certificates'] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

export function isDeviceName(value: unknown): value is DeviceName {
  return typeof value === 'string' && (DEVICE_NAMES as readonly string[]).includes(value);
}
