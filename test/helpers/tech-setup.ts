import fs from 'node:fs';
import path from 'node:path';
import { SimTerminal } from '../../sim/terminal.js';
import { AgentProcess, runCli } from './agent-process.js';
import { Recorder } from './recorder.js';
import { technician, type Technician } from './technician.js';
import { tempDir, writeJson } from '../../sim/temp-dirs.js';

/**
 * A simulated terminal whose agent (the built CLI) trusts one technician key, a recorder on its
 * topics, and the technician's client (the built CLI too) pointed at the same broker.
 */
export interface CommandedTerminal {
  terminal: SimTerminal;
  terminalId: string;
  config: Record<string, any>;
  configFile: string;
  recorder: Recorder;
  tech: Technician;
  keyFile: string;
  start(): AgentProcess;
  /** `pos-agent tech <command> <terminalId> …` with the broker, key and kid. */
  client(command: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export async function commandedTerminal(
  brokerUrl: string,
  options: { protocolVersion?: 4 | 5; logLevel?: string; change?: (config: Record<string, any>) => void } = {},
): Promise<CommandedTerminal> {
  const terminalId = `TECH-${Math.random().toString(36).slice(2, 10)}`;
  const terminal = new SimTerminal(tempDir());
  const tech = technician('tech-e2e');
  const keyFile = path.join(terminal.dir, 'tech.key');
  fs.writeFileSync(keyFile, tech.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const config: Record<string, any> = {
    ...terminal.agentConfig({
      brokerUrl,
      terminalId,
      protocolVersion: options.protocolVersion,
      heartbeatSeconds: 1,
      batteryPollSeconds: 0.2,
      systemPollSeconds: 0.5,
      logLevel: options.logLevel ?? 'info',
    }),
    technicianKeys: [tech.entry],
  };
  options.change?.(config);
  const configFile = writeJson(path.join(terminal.dir, 'agent.json'), config);
  const recorder = await Recorder.connect(brokerUrl, `pos/v1/${terminalId}/#`, options.protocolVersion === 5 ? { protocolVersion: 5 } : {});
  return {
    terminal,
    terminalId,
    config,
    configFile,
    recorder,
    tech,
    keyFile,
    start: () => new AgentProcess(['run', '--config', configFile]),
    client: (command, ...args) =>
      runCli(['tech', command, terminalId, ...args, '--broker', brokerUrl, '--key', keyFile, '--kid', tech.kid], {}, 30_000),
  };
}
