import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FaultLatency } from './fault-latency.js';
import { FLEET_FAULTS, FleetInjector, type FleetTarget } from './fleet-injector.js';
import { INJECTIONS } from './injections.js';
import type { TerminalChange } from './terminal.js';

/** A repeatable stream of numbers in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

interface Applied {
  terminalId: string;
  code: string;
  action: 'inject' | 'clear';
  at: number;
}

/**
 * Terminals whose agent and broker answer each change 5 ms later with the fault message a
 * subscriber would receive, so the book closes its episodes as in a real run.
 */
function fleet(count: number, book: FaultLatency, applied: Applied[]): FleetTarget[] {
  return Array.from({ length: count }, (_, index) => {
    const terminalId = `T${index + 1}`;
    let raises = 0;
    let lastId = '';
    return {
      terminalId,
      terminal: {
        async apply(change: TerminalChange) {
          const entry = Object.entries(INJECTIONS).find(([, injection]) => injection.inject === change || injection.clear === change);
          if (!entry) throw new Error(`not an injection: ${JSON.stringify(change)}`);
          const [code, injection] = entry;
          const action = injection.inject === change ? 'inject' : 'clear';
          applied.push({ terminalId, code, action, at: Date.now() });
          if (action === 'inject') lastId = `f-${++raises}`;
          const id = lastId;
          setTimeout(() => book.received(terminalId, { code, state: action === 'inject' ? 'raised' : 'cleared', id }, Date.now()), 5);
        },
      },
    };
  });
}

describe('FleetInjector', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('makes printer faults at the asked mean rate, one at a time per terminal, each taken away after a while', async () => {
    const book = new FaultLatency();
    const applied: Applied[] = [];
    const injector = new FleetInjector({ faultsPerMinute: 600, faultSeconds: 1, latency: book, now: () => Date.now(), onError: (error) => { throw error; }, random: seeded(7) });
    const start = Date.now();
    injector.start(fleet(50, book, applied));
    await vi.advanceTimersByTimeAsync(60_000);
    await injector.stop();
    await vi.advanceTimersByTimeAsync(100);

    const injections = applied.filter((entry) => entry.action === 'inject');
    // 600 a minute on average (a Poisson count has a standard deviation of about 25 here).
    expect(injections.length + injector.skippedArrivals).toBeGreaterThan(500);
    expect(injections.length + injector.skippedArrivals).toBeLessThan(700);
    expect(new Set(injections.map((entry) => entry.code))).toEqual(new Set(FLEET_FAULTS));

    for (const terminalId of new Set(applied.map((entry) => entry.terminalId))) {
      const own = applied.filter((entry) => entry.terminalId === terminalId);
      own.forEach((entry, index) => {
        // inject, clear, inject, clear…: never two faults on one terminal at once.
        expect(entry.action).toBe(index % 2 === 0 ? 'inject' : 'clear');
        if (entry.action === 'clear') {
          const injected = own[index - 1]!;
          expect(entry.code).toBe(injected.code);
          const held = entry.at - injected.at;
          // Between half and one and a half times faultSeconds, or cut short by the stop.
          if (entry.at - start < 60_000) expect(held).toBeGreaterThanOrEqual(500);
          expect(held).toBeLessThanOrEqual(1_500);
        }
      });
      expect(own.at(-1)!.action).toBe('clear');
    }

    const report = book.report();
    expect(report).toMatchObject({ injected: injections.length, clearsApplied: injections.length, awaitingRaise: 0, awaitingClear: 0, unexpected: {} });
    expect(report.raise).toMatchObject({ count: injections.length, max: 5 });
    expect(report.clear).toMatchObject({ count: injections.length, max: 5 });
  });

  it('skips an arrival when every terminal it tries already has a fault', async () => {
    const book = new FaultLatency();
    const applied: Applied[] = [];
    const injector = new FleetInjector({ faultsPerMinute: 6_000, faultSeconds: 60, latency: book, now: () => Date.now(), onError: (error) => { throw error; }, random: seeded(3) });
    injector.start(fleet(2, book, applied));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(applied.filter((entry) => entry.action === 'inject')).toHaveLength(2);
    expect(injector.skippedArrivals).toBeGreaterThan(100);
    await injector.stop();
    expect(applied.filter((entry) => entry.action === 'clear')).toHaveLength(2);
    // Stopped: nothing more happens.
    const count = applied.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(applied).toHaveLength(count);
  });
});
