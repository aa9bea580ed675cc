import { afterAll, describe, expect, it } from 'vitest';
import { tcpProbe } from '../drivers/tcp-probe.js';
import { ProbeHost } from '../sim/probe-host.js';

/**
 * The simulated acquirer host against the agent's own probe (drivers/tcp-probe.ts): real TCP
 * connects on 127.0.0.1, a real listener process stopped and continued by its pid.
 */

let host: ProbeHost | undefined;
afterAll(async () => {
  await host?.close();
});

function probe(timeoutMs: number) {
  return tcpProbe({ host: '127.0.0.1', port: host!.port, timeoutMs }).then(
    ({ rttMs, address }) => ({ ok: true as const, rttMs, address }),
    (error: Error & { code?: string }) => ({ ok: false as const, code: error.code, message: error.message }),
  );
}

describe('probe host on loopback', () => {
  it('accepts, refuses, hangs and answers slowly, and comes back from each', async () => {
    host = await ProbeHost.start();
    expect(await probe(3_000)).toMatchObject({ ok: true, address: '127.0.0.1' });
    // The probe resets the connection it made; the listener still counts it.
    await waitFor(() => host!.accepted === 1);

    await host.setMode('refuse');
    expect(await probe(3_000)).toMatchObject({ ok: false, code: 'UNAVAILABLE', message: expect.stringContaining('ECONNREFUSED') });

    await host.setMode('hang');
    expect(await probe(1_500)).toMatchObject({ ok: false, code: 'TIMEOUT' });
    expect(await probe(1_500)).toMatchObject({ ok: false, code: 'TIMEOUT' });

    await host.setMode('accept');
    const back = await probe(3_000);
    expect(back.ok).toBe(true);

    await host.setMode('slow');
    for (let attempt = 0; attempt < 2; attempt++) {
      const slow = await probe(5_000);
      expect(slow.ok).toBe(true);
      // SPEC.md section 5: NET_HIGH_LATENCY is an RTT of 1500 ms or more.
      expect(slow.ok && slow.rttMs).toBeGreaterThanOrEqual(1_500);
      // The listener is blocked again before the next connect.
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    await host.setMode('refuse');
    await host.setMode('accept');
    expect(await probe(3_000)).toMatchObject({ ok: true, address: '127.0.0.1' });
    expect(host.mode).toBe('accept');
  });

  it('ends its listener process on close', async () => {
    const own = await ProbeHost.start();
    const pid = own.pid;
    await own.setMode('hang');
    await own.close();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});

async function waitFor(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
