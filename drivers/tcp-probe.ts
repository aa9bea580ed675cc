import net from 'node:net';
import { DeviceError, errorMessage } from '../basics/errors.js';

/**
 * Times a TCP connect to a host (the acquirer's), sending no data: resolves with the round trip
 * in milliseconds and the address it reached, rejects when the connect is refused, fails or takes
 * longer than `timeoutMs`. The connection is then reset rather than closed: an RST is one packet,
 * where a close exchanges four (FIN and ACK both ways) for no information.
 */
export type TcpProbe = (target: { host: string; port: number; timeoutMs: number }, signal?: AbortSignal) => Promise<ProbeAnswer>;

export interface ProbeAnswer {
  rttMs: number;
  /** The IP address connected to (a name in the config resolves to it). */
  address?: string;
}

export const tcpProbe: TcpProbe = ({ host, port, timeoutMs }, signal) =>
  new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const socket = net.connect({ host, port });
    const finish = (error?: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const rttMs = Math.round(performance.now() - startedAt);
      const address = socket.remoteAddress;
      if (error) {
        socket.destroy();
        reject(error);
      } else {
        socket.resetAndDestroy();
        resolve({ rttMs, address });
      }
    };
    const onAbort = () => finish(new DeviceError('TIMEOUT', `probe of ${host}:${port} aborted`));
    const timer = setTimeout(() => finish(new DeviceError('TIMEOUT', `no TCP connect to ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish());
    socket.once('error', (error) => finish(new DeviceError('UNAVAILABLE', `TCP connect to ${host}:${port} failed: ${errorMessage(error)}`, { cause: error })));
  });
