import { afterEach, describe, expect, it } from 'vitest';
import { TEST_TRACK } from '../sim/card-reader.js';
import { AgentProcess, killAll } from './helpers/agent-process.js';

/**
 * `pos-agent demo`, what `npm start` runs on a fresh clone: the built CLI with nothing installed
 * beyond npm's packages, played to its end, as its console shows it.
 */

afterEach(() => killAll());

const codes = (stdout: string, state: 'RAISED' | 'cleared') =>
  [...stdout.matchAll(new RegExp(`#\\d+ ${state} +([A-Z_]+) `, 'g'))].map((match) => match[1]!).sort();

describe('pos-agent demo', () => {
  it('plays its scenario to the end: faults of every device raised and cleared, every verdict, a clean stop, no card data', { timeout: 150_000 }, async () => {
    const demo = new AgentProcess(['demo']);
    const exit = await demo.waitExit(140_000);
    expect(exit, demo.stderr).toEqual({ code: 0, signal: null });
    const { stdout } = demo;

    expect(stdout).toContain('state: online (session 1)');
    for (const verdict of ['IN_SERVICE', 'DEGRADED', 'OUT_OF_SERVICE', 'MAINTENANCE']) expect(stdout).toContain(`availability: ${verdict}`);
    const raised = codes(stdout, 'RAISED');
    // A fault of each polled device, and each one cleared before the end.
    for (const code of ['PRINTER_PAPER_OUT', 'READER_JAMMED', 'BATTERY_OVERHEAT', 'NET_HOST_UNREACHABLE', 'APP_DOWN']) expect(raised).toContain(code);
    expect(codes(stdout, 'cleared')).toEqual(raised);
    // Code jumping caught (and cleared when the MCC goes back), a new merchant number approved by a technician.
    expect(raised.filter((code) => code.startsWith('MERCHANT_'))).toEqual(['MERCHANT_CHANGED', 'MERCHANT_CHANGED', 'MERCHANT_MCC_UNEXPECTED']);
    expect(stdout).toContain('technician: approved mid 102310058120015, tid 00012345, MCC 5812 as the baseline (key demo-technician)');
    expect(stdout).toMatch(/heartbeat #\d+ \d+ bytes \{"seq":\d+/);
    expect(stdout).toContain('state: offline (shutdown)');
    expect(stdout).toContain('Demo finished.');

    // The card reads that run all along never show their track data or PAN.
    const pan = TEST_TRACK.match(/\d{13,19}/)![0];
    expect(stdout + demo.stderr).not.toContain(pan);
    expect(stdout + demo.stderr).not.toContain(TEST_TRACK);
  });
});
