import type { StatusAnswer } from '../protocol/status.js';

/** The running agent as the `status` command answers it: the protocol's shape (protocol/status.ts). */
export type AgentStatus = StatusAnswer;
