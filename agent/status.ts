import type { Restart } from '../drivers/system/boots.js';
import type { DeviceName } from '../protocol/devices.js';
import type { Verdict } from './availability.js';
import type { DeviceStatus } from './devices.js';
import type { ActiveFault } from './fault-engine.js';
import type { LogLevelState } from './log-level.js';
import type { Maintenance } from './maintenance.js';
import type { LinkFigures } from './mqtt-link.js';
import type { OutboxFigures } from './outbox/outbox.js';

/** The running agent as the `status` command answers it (SPEC.md section 6). */
export interface AgentStatus {
  terminalId: string;
  agentVersion: string;
  boot: string;
  session: number;
  startedAt: number;
  /** How the agent came to start (agent/restart.ts); the boots are in the system device's reading. */
  restart: Restart;
  availability: Verdict['availability'];
  reasons: Verdict['reasons'];
  faults: ActiveFault[];
  maintenance: Maintenance['state'];
  devices: Partial<Record<DeviceName, DeviceStatus>>;
  outbox: OutboxFigures;
  connection: LinkFigures;
  logLevel: LogLevelState;
}
