import type { Logger } from 'pino';
import type { Clock } from '../../basics/clock.js';
import type { TerminalTopics } from '../../protocol/topics.js';
import type { AgentConfig } from '../config.js';
import type { MqttLink } from '../mqtt-link.js';
import { CommandDispatcher, type ReplySender } from './dispatcher.js';
import type { OpContext } from './ops.js';
import { ReplayCache } from './replay-cache.js';
import { TechnicianKeys } from './technician-keys.js';

export interface AttachOptions {
  config: AgentConfig;
  link: MqttLink;
  topics: TerminalTopics;
  /** Where the replies go: the uplink. */
  replies: ReplySender;
  /** What the commands may reach: no more than this. */
  context: OpContext;
  /** False once the agent is stopping: a command that arrives then is not run. */
  accepting(): boolean;
  clock: Clock;
  log: Logger;
}

/** Technician commands for a running agent: what arrives on R/cmd goes to the dispatcher. */
export function attachCommands(options: AttachOptions): CommandDispatcher {
  const { config, clock, log } = options;
  const commands = new CommandDispatcher({
    terminalId: config.terminalId,
    keys: new TechnicianKeys(config.technicianKeys),
    replay: new ReplayCache(config.stateDir, clock, log),
    context: options.context,
    replies: options.replies,
    clock,
    log,
  });
  options.link.on('message', (topic, payload, correlationData) => {
    if (topic === options.topics.cmd && options.accepting()) void commands.handle(payload, correlationData);
  });
  return commands;
}
