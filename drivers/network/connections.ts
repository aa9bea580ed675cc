import net from 'node:net';

/**
 * Reachability for free: when the payment application holds an established TCP connection to
 * the acquirer with nothing waiting for an acknowledgement, the host answered a moment ago and a
 * probe would only spend bytes. Read from `{procRoot}/net/tcp` and `tcp6`, whose addresses are
 * 32-bit words in hexadecimal, each in the kernel's byte order (little-endian on the terminals
 * this runs on), and whose ports are plain hexadecimal.
 */

const ESTABLISHED = '01';

/** The rem_address column for an IPv4 address in `tcp` and, mapped (::ffff:a.b.c.d), in `tcp6`. */
export function tableAddresses(address: string): string[] {
  if (net.isIPv4(address)) {
    const word = littleEndianWord(address.split('.').map(Number));
    return [word, `0000000000000000FFFF0000${word}`];
  }
  if (net.isIPv6(address)) {
    const bytes = ipv6Bytes(address);
    if (!bytes) return [];
    let out = '';
    for (let i = 0; i < 16; i += 4) out += littleEndianWord(bytes.slice(i, i + 4));
    return [out];
  }
  return [];
}

function littleEndianWord(bytes: number[]): string {
  return [...bytes].reverse().map((byte) => byte.toString(16).toUpperCase().padStart(2, '0')).join('');
}

function ipv6Bytes(address: string): number[] | undefined {
  const [head, tail] = address.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const last = right.length > 0 ? right[right.length - 1]! : left[left.length - 1];
  const v4 = last !== undefined && net.isIPv4(last) ? last.split('.').map(Number) : undefined;
  if (v4) (right.length > 0 ? right : left).pop();
  const missing = 8 - left.length - right.length - (v4 ? 2 : 0);
  const all = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
  const bytes = all.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
  if (v4) bytes.push(...v4);
  return bytes.length === 16 && bytes.every((byte) => Number.isInteger(byte) && byte >= 0 && byte <= 255) ? bytes : undefined;
}

/**
 * Whether a table holds an established connection to one of `addresses` (in the table's own
 * hexadecimal form) on `port`, with an empty send queue: data waiting for an acknowledgement
 * could mean the host has gone, which only a probe tells.
 */
export function heldOpen(tables: (string | undefined)[], addresses: string[], port: number): boolean {
  const wanted = new Set(addresses.map((address) => `${address}:${port.toString(16).toUpperCase().padStart(4, '0')}`));
  for (const table of tables) {
    for (const line of table?.split('\n').slice(1) ?? []) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== ESTABLISHED || !wanted.has(fields[2]?.toUpperCase() ?? '')) continue;
      const [txQueue] = (fields[4] ?? '').split(':');
      if (txQueue !== undefined && parseInt(txQueue, 16) === 0) return true;
    }
  }
  return false;
}
