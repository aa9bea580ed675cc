import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

/**
 * A service manager's notification socket (sd_notify(3)) for tests and the benchmark: a unix
 * datagram socket bound as systemd binds one for a Type=notify unit. Node has none, so a small
 * Python listener receives and prints each message as one JSON line; receiving without room for
 * ancillary data closes the fd a BARRIER=1 carries, which is how systemd answers a barrier.
 */
const LISTENER = `
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
print(json.dumps("LISTENING"), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps(data.decode("utf-8", "replace")), flush=True)
`;

export interface Notification {
  /** When it was received (Date.now()). */
  at: number;
  fields: Record<string, string>;
}

export class NotifySocket {
  readonly messages: Notification[] = [];
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly path: string,
    python: string,
  ) {
    this.child = spawn(python, ['-c', LISTENER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const text = JSON.parse(line) as string;
      if (text === 'LISTENING') return;
      const fields = Object.fromEntries(
        text.split('\n').map((assignment) => {
          const at = assignment.indexOf('=');
          return [assignment.slice(0, at), assignment.slice(at + 1)];
        }),
      );
      this.messages.push({ at: Date.now(), fields });
      for (const wake of this.waiters) wake();
    });
  }

  static async bind(dir: string, python: string): Promise<NotifySocket> {
    const socket = new NotifySocket(path.join(dir, 'notify.sock'), python);
    await socket.waitFor(() => fs.existsSync(socket.path), 'the listener to bind', 10_000);
    return socket;
  }

  /** Messages that carry `field`, barriers left out. */
  with(field: string): Notification[] {
    return this.messages.filter((message) => field in message.fields);
  }

  /** Resolves once `check` holds after a message (or at once), rejects after `ms`. */
  waitFor(check: () => boolean, what: string, ms = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(done);
        clearInterval(poll);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        clearInterval(poll);
        reject(new Error(`no ${what} within ${ms} ms; received:\n${this.messages.map((m) => JSON.stringify(m.fields)).join('\n')}`));
      }, ms);
      // The bind itself prints nothing to wait on: look every 50 ms as well.
      const poll = setInterval(done, 50);
      this.waiters.add(done);
      done();
    });
  }

  close(): void {
    this.child.kill();
    fs.rmSync(this.path, { force: true });
  }
}
