import net from 'node:net';
import { DeviceError, errorMessage } from '../basics/errors.js';

/**
 * Times a TCP connect to a host (the acquirer's), sending no data: resolves with the round trip
 * in milliseconds, rejects when the connect is refused, fails or takes longer than `timeoutMs`.
 */
export type TcpProbe = (target: { host: string; port: number; timeoutMs: number }, signal?: AbortSignal) => Promise<number>;

export const tcpProbe: TcpProbe = ({ host, port, timeoutMs }, signal) =>
  new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const socket = net.connect({ host, port });
    const finish = (error?: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(Math.round(performance.now() - startedAt));
    };
    const onAbort = () => finish(new DeviceError('TIMEOUT', `probe of ${host}:${port} aborted`));
    const timer = setTimeout(() => finish(new DeviceError('TIMEOUT', `no TCP connect to ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish());
    socket.once('error', (error) => finish(new DeviceError('UNAVAILABLE', `TCP connect to ${host}:${port} failed: ${errorMessage(error)}`, { cause: error })));
  });
