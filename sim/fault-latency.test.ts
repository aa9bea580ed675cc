import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultLatency, latencyFigures } from './fault-latency.js';

const raised = (code: string, id: string) => ({ code, state: 'raised' as const, id });
const cleared = (code: string, id: string) => ({ code, state: 'cleared' as const, id });

describe('latencyFigures', () => {
  it('has only a count when nothing was measured', () => {
    expect(latencyFigures([])).toEqual({ count: 0 });
  });

  it('takes nearest-rank percentiles, each one a measured value', () => {
    const samples = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(latencyFigures(samples)).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    expect(latencyFigures([7])).toEqual({ count: 1, p50: 7, p90: 7, p99: 7, max: 7 });
    // With fewer than 100 samples the 99th percentile is the largest.
    expect(latencyFigures([30, 10, 20, 40])).toEqual({ count: 4, p50: 20, p90: 40, p99: 40, max: 40 });
  });

  it('orders its figures and picks them from the samples, whatever the samples', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }), (samples) => {
        const figures = latencyFigures(samples);
        expect(figures.count).toBe(samples.length);
        expect(figures.p50!).toBeLessThanOrEqual(figures.p90!);
        expect(figures.p90!).toBeLessThanOrEqual(figures.p99!);
        expect(figures.p99!).toBeLessThanOrEqual(figures.max!);
        expect(figures.max).toBe(Math.max(...samples));
        for (const value of [figures.p50, figures.p90, figures.p99]) expect(samples).toContain(value);
        // At least half the samples are at or below the median.
        expect(samples.filter((sample) => sample <= figures.p50!).length * 2).toBeGreaterThanOrEqual(samples.length);
      }),
    );
  });
});

describe('FaultLatency', () => {
  it('times a raise from its injection and a clear from its removal, matched by terminal, code and id', () => {
    const book = new FaultLatency();
    book.injected('FLEET-000001', 'PRINTER_PAPER_OUT', 1_000);
    book.injected('FLEET-000002', 'PRINTER_PAPER_OUT', 1_500);
    book.received('FLEET-000002', raised('PRINTER_PAPER_OUT', 'f-2'), 1_540);
    book.received('FLEET-000001', raised('PRINTER_PAPER_OUT', 'f-7'), 1_012);
    book.clearing('FLEET-000001', 'PRINTER_PAPER_OUT', 2_000);
    book.received('FLEET-000001', cleared('PRINTER_PAPER_OUT', 'f-7'), 2_030);

    const report = book.report();
    expect(report.raise).toEqual({ count: 2, p50: 12, p90: 40, p99: 40, max: 40 });
    expect(report.clear).toEqual({ count: 1, p50: 30, p90: 30, p99: 30, max: 30 });
    expect(report).toMatchObject({ injected: 2, clearsApplied: 1, unexpected: {}, duplicates: 0, awaitingRaise: 0, awaitingClear: 0 });
    expect(book.isOpen('FLEET-000001', 'PRINTER_PAPER_OUT')).toBe(false);
    expect(book.isOpen('FLEET-000002', 'PRINTER_PAPER_OUT')).toBe(true);
  });

  it('still times a raise that arrives after its fault was taken away', () => {
    const book = new FaultLatency();
    book.injected('T1', 'PRINTER_COVER_OPEN', 0);
    book.clearing('T1', 'PRINTER_COVER_OPEN', 300);
    expect(book.awaitingClear).toBe(1);
    book.received('T1', raised('PRINTER_COVER_OPEN', 'f-1'), 900);
    book.received('T1', cleared('PRINTER_COVER_OPEN', 'f-1'), 1_000);
    expect(book.report()).toMatchObject({ raise: { count: 1, max: 900 }, clear: { count: 1, max: 700 }, awaitingClear: 0 });
  });

  it('counts faults no injection explains, by code, and leaves them out of the figures', () => {
    const book = new FaultLatency();
    book.received('T1', raised('NET_HIGH_LATENCY', 'f-1'), 10);
    book.received('T1', cleared('NET_HIGH_LATENCY', 'f-1'), 20);
    book.injected('T1', 'PRINTER_FAILURE', 100);
    // A clear with another id than the raise's is not this episode's clear.
    book.received('T1', raised('PRINTER_FAILURE', 'f-3'), 110);
    book.clearing('T1', 'PRINTER_FAILURE', 200);
    book.received('T1', cleared('PRINTER_FAILURE', 'f-9'), 210);
    // A second raise in one episode (the fault came back) is not timed either.
    book.received('T1', raised('PRINTER_FAILURE', 'f-4'), 220);
    // A clear before any raise of the episode.
    book.injected('T2', 'PRINTER_OVERHEAT', 300);
    book.received('T2', cleared('PRINTER_OVERHEAT', 'f-1'), 310);

    const report = book.report();
    expect(report.unexpected).toEqual({ NET_HIGH_LATENCY: 2, PRINTER_FAILURE: 2, PRINTER_OVERHEAT: 1 });
    expect(report.raise).toMatchObject({ count: 1, max: 10 });
    expect(report.clear).toEqual({ count: 0 });
    expect(report).toMatchObject({ awaitingRaise: 1, awaitingClear: 1 });
  });

  it('tells QoS 1 redeliveries from new faults', () => {
    const book = new FaultLatency();
    book.injected('T1', 'PRINTER_PAPER_LOW', 0);
    book.received('T1', raised('PRINTER_PAPER_LOW', 'f-1'), 5);
    book.received('T1', raised('PRINTER_PAPER_LOW', 'f-1'), 9);
    book.clearing('T1', 'PRINTER_PAPER_LOW', 100);
    book.received('T1', cleared('PRINTER_PAPER_LOW', 'f-1'), 104);
    book.received('T1', cleared('PRINTER_PAPER_LOW', 'f-1'), 108);
    book.received('T1', raised('PRINTER_PAPER_LOW', 'f-1'), 112);
    expect(book.report()).toMatchObject({ duplicates: 3, unexpected: {}, raise: { count: 1, max: 5 }, clear: { count: 1, max: 4 } });
  });

  it('opens a new episode of the same fault once the last one is over, and refuses to overlap two', () => {
    const book = new FaultLatency();
    book.injected('T1', 'PRINTER_PAPER_OUT', 0);
    expect(() => book.injected('T1', 'PRINTER_PAPER_OUT', 1)).toThrow(/already injected on T1/);
    expect(() => book.clearing('T1', 'PRINTER_COVER_OPEN', 1)).toThrow(/not injected on T1/);
    book.received('T1', raised('PRINTER_PAPER_OUT', 'f-1'), 10);
    book.clearing('T1', 'PRINTER_PAPER_OUT', 20);
    expect(() => book.clearing('T1', 'PRINTER_PAPER_OUT', 21)).toThrow(/not injected/);
    book.received('T1', cleared('PRINTER_PAPER_OUT', 'f-1'), 25);

    book.injected('T1', 'PRINTER_PAPER_OUT', 1_000);
    book.received('T1', raised('PRINTER_PAPER_OUT', 'f-3'), 1_003);
    expect(book.report()).toMatchObject({ injected: 2, raise: { count: 2, p50: 3, max: 10 }, clear: { count: 1 }, awaitingRaise: 0, awaitingClear: 0 });
  });
});
