import path from 'node:path';
import { SerialportTransport } from '../../drivers/serial/serialport-transport.js';
import { SimModem, type ModemState } from '../../sim/modem.js';
import type { SimNetwork } from '../../sim/network.js';
import { ProbeHost } from '../../sim/probe-host.js';
import { SimTerminal } from '../../sim/terminal.js';
import { AgentProcess } from './agent-process.js';
import { PtyPair } from '../../sim/pty.js';
import { Recorder } from './recorder.js';
import { tempDir, writeJson } from '../../sim/temp-dirs.js';

/**
 * A simulated terminal with a cellular interface for the built agent: the net class tree in a
 * temp folder, the modem on a pseudo-terminal answered from this process, and the acquirer's
 * host on loopback. `stop()` ends everything it started, each by its own pid.
 */
export interface NetworkTerminal {
  terminal: SimTerminal;
  network: SimNetwork;
  modem: SimModem;
  probeHost: ProbeHost;
  recorder: Recorder;
  terminalId: string;
  start(): AgentProcess;
  stop(): Promise<void>;
}

export interface NetworkTerminalOptions {
  brokerUrl: string;
  socat: string;
  pollSeconds: number;
  probeTimeoutMs: number;
  /** Leave the modem out (a probe-only test). */
  withoutModem?: boolean;
  modem?: Partial<ModemState>;
}

export async function networkTerminal(options: NetworkTerminalOptions): Promise<NetworkTerminal> {
  const terminalId = `NET-${Math.random().toString(36).slice(2, 10)}`;
  const terminal = new SimTerminal(tempDir());
  const { network } = terminal;
  network.startTraffic(500);
  const pair = await PtyPair.start(options.socat, terminal.dir, 'modem');
  const modem = new SimModem(options.modem);
  await modem.attach(new SerialportTransport({ path: pair.devicePath, baudRate: 115200 }));
  const probeHost = await ProbeHost.start();

  const config: Record<string, any> = terminal.agentConfig({
    brokerUrl: options.brokerUrl,
    terminalId,
    heartbeatSeconds: 1,
    batteryPollSeconds: 1,
    systemPollSeconds: 5,
    logLevel: 'debug',
  });
  config.devices.network = {
    interface: 'wwan0',
    pollSeconds: options.pollSeconds,
    ...(options.withoutModem ? {} : { modem: { path: pair.agentPath, baudRate: 115200 } }),
    probe: { host: probeHost.host, port: probeHost.port, timeoutMs: options.probeTimeoutMs, answeringSeconds: options.pollSeconds },
  };
  const configFile = writeJson(path.join(terminal.dir, 'agent.json'), config);
  const recorder = await Recorder.connect(options.brokerUrl, `pos/v1/${terminalId}/#`);
  const agents: AgentProcess[] = [];

  return {
    terminal,
    network,
    modem,
    probeHost,
    recorder,
    terminalId,
    start() {
      const agent = new AgentProcess(['run', '--config', configFile]);
      agents.push(agent);
      return agent;
    },
    async stop() {
      for (const agent of agents) agent.kill('SIGKILL');
      network.stopTraffic();
      await recorder.close();
      await modem.close();
      await pair.stop();
      await probeHost.close();
    },
  };
}
