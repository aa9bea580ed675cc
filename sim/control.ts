import fs from 'node:fs';
import net from 'node:net';

/**
 * How another shell talks to a running simulator: one JSON request and one JSON answer per
 * connection, over a Unix socket in the simulator's folder.
 */

export type ControlRequest =
  | { action: 'inject' | 'clear'; code: string }
  | { action: 'set'; device: string; field: string; value: unknown }
  | { action: 'unplug' | 'plug'; device: string }
  | { action: 'status' };

export type ControlAnswer = { ok: true; done: string; state?: unknown } | { ok: false; error: string };

const MAX_REQUEST = 64 * 1024;

export function serveControl(socketPath: string, handle: (request: ControlRequest) => Promise<ControlAnswer>): Promise<net.Server> {
  fs.rmSync(socketPath, { force: true });
  const server = net.createServer((socket) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_REQUEST) {
        socket.end(`${JSON.stringify({ ok: false, error: 'request too large' })}\n`);
        return;
      }
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      let request: ControlRequest;
      try {
        request = JSON.parse(text.slice(0, newline)) as ControlRequest;
      } catch {
        socket.end(`${JSON.stringify({ ok: false, error: 'not JSON' })}\n`);
        return;
      }
      handle(request)
        .catch((error: unknown): ControlAnswer => ({ ok: false, error: error instanceof Error ? error.message : String(error) }))
        .then((answer) => socket.end(`${JSON.stringify(answer)}\n`));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve(server));
  });
}

export function sendControl(socketPath: string, request: ControlRequest, timeoutMs = 5_000): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the simulator at ${socketPath} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const hint = error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? ' (is `pos-agent sim` running with this --dir?)' : '';
      reject(new Error(`cannot reach the simulator at ${socketPath}: ${error.code ?? error.message}${hint}`));
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(text) as ControlAnswer);
      } catch {
        reject(new Error(`the simulator answered something that is not JSON: ${text.slice(0, 200)}`));
      }
    });
  });
}
