import type { SerialTransport } from '../../drivers/serial/transport.js';

/** A serial line that opens but whose every write fails, as a tty whose device hung up (EIO). */
export function brokenLine(path: string): SerialTransport {
  let open = false;
  return {
    path,
    get isOpen() {
      return open;
    },
    async open() {
      open = true;
    },
    write: async () => {
      throw new Error(`write to ${path} failed: EIO: i/o error, write`);
    },
    async close() {
      open = false;
    },
    onData() {},
    onClose() {},
  };
}
