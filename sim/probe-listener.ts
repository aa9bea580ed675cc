import type net from 'node:net';

/**
 * The probe host's listener (probe-host.ts), which runs in a child process of its own so that it
 * can be stopped (SIGSTOP) without stopping the simulator. It listens on 127.0.0.1 with a backlog
 * of 1, accepts every connection (saying `accepted`) and keeps it until the client ends it, and
 * takes `listen` and `close` lines on stdin; it says `listening PORT`, `closed` or `error CODE` on
 * stdout, and ends with its stdin.
 *
 * The child runs this function's source text, so the function reaches nothing outside itself:
 * what it uses comes in as arguments.
 */
export function probeListener(netModule: typeof net, proc: NodeJS.Process): void {
  let server: net.Server | undefined;
  let port = Number(proc.env.PROBE_PORT) || 0;
  const say = (line: string) => proc.stdout.write(`${line}\n`);
  const listen = () => {
    const listening = netModule.createServer((socket) => {
      say('accepted');
      socket.on('error', () => {});
      // As a TLS server waiting for a ClientHello: the client ends the connection, not the host.
      socket.resume();
      socket.setTimeout(10_000, () => socket.destroy());
    });
    server = listening;
    listening.once('error', (error: NodeJS.ErrnoException) => say(`error ${error.code}`));
    listening.listen({ host: '127.0.0.1', port, backlog: 1 }, () => {
      port = (listening.address() as net.AddressInfo).port;
      say(`listening ${port}`);
    });
  };
  let pending = '';
  proc.stdin.on('data', (chunk) => {
    pending += String(chunk);
    let end;
    while ((end = pending.indexOf('\n')) >= 0) {
      const command = pending.slice(0, end);
      pending = pending.slice(end + 1);
      if (command === 'listen') listen();
      if (command === 'close') server?.close(() => say('closed'));
    }
  });
  proc.stdin.on('end', () => proc.exit(0));
  listen();
}

/** The program a child `node -e` runs: the listener, given what it needs. */
export function probeListenerProgram(): string {
  return `(${probeListener.toString()})(require('node:net'), process);`;
}
