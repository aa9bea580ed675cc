import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../basics/clock.js';
import { SimModem, type ModemState } from '../../sim/modem.js';
import { memoryLog } from '../../test/helpers/log.js';
import { memoryLine, type Chunking } from '../serial/memory-transport.js';
import { Modem } from './modem.js';

const modems: SimModem[] = [];
afterEach(async () => {
  await Promise.all(modems.splice(0).map((modem) => modem.close()));
});

async function pair(state: Partial<ModemState> = {}, chunking: Chunking = 'whole') {
  const wire = memoryLine('/dev/ttyUSB2', chunking);
  const sim = new SimModem(state);
  modems.push(sim);
  await sim.attach(wire.device);
  const { log } = memoryLog('info');
  const modem = new Modem(() => wire.host, { path: '/dev/ttyUSB2', baudRate: 115200 }, { clock: systemClock, log, random: () => 0 });
  return { wire, sim, modem };
}

const budget = (ms = 4_000) => ({ deadline: performance.now() + ms, signal: new AbortController().signal });

describe('Modem against the simulated modem (in-process line)', () => {
  it('reads SIM, signal, registration and operator from a healthy modem, echo on', async () => {
    const { modem, sim } = await pair({ rssi: 17, creg: 0, cereg: 5, operator: 'Roam Net' }, 'random');
    expect(await modem.status(budget())).toEqual({
      online: true, sim: 'ready', rssi: 17, ber: 99, rssiDbm: -79, creg: 0, cereg: 5,
      registration: 'roaming', operator: 'Roam Net', accessTechnology: 'LTE',
    });
    expect(sim.commands).toEqual(['AT+CPIN?', 'AT+CSQ', 'AT+CREG?', 'AT+CEREG?', 'AT+COPS?']);
  });

  it('reads the same with echo off, bytewise, with a URC before every answer', async () => {
    const { modem } = await pair({ echo: false, urcInAnswer: 1 }, 'bytewise');
    const status = await modem.status(budget());
    expect(status).toMatchObject({ online: true, sim: 'ready', rssiDbm: -71, registration: 'home', operator: 'SimTel' });
  });

  it('reports an absent SIM (CME 10), a locked one, and one hidden behind a plain ERROR', async () => {
    expect((await (await pair({ sim: 'absent', creg: 0, cereg: 0 })).modem.status(budget())).sim).toBe('absent');
    expect((await (await pair({ sim: 'pin' })).modem.status(budget())).sim).toBe('pin');
    expect((await (await pair({ sim: 'absent', cmee: 0 })).modem.status(budget())).sim).toBe('error');
    expect((await (await pair({ sim: 'absent', cmee: 2 })).modem.status(budget())).sim).toBe('absent');
  });

  it('reports an unknown signal (CSQ 99) and no operator', async () => {
    const { modem } = await pair({ rssi: 99, operator: undefined, creg: 2, cereg: 2 });
    const status = await modem.status(budget());
    expect(status).toMatchObject({ online: true, signalUnknown: true, registration: 'searching' });
    expect(status.rssiDbm).toBeUndefined();
    expect(status.operator).toBeUndefined();
  });

  it('spends one timeout on a silent modem, not one per command', async () => {
    const { modem, wire } = await pair({ silent: true });
    const status = await modem.status(budget(300));
    expect(status.online).toBe(false);
    expect(status.error).toMatch(/no answer to AT\+CPIN\?/);
    expect(wire.host.written.map((bytes) => bytes.toString())).toEqual(['AT+CPIN?\r']);
  });

  it('stops when the poll has no time left, keeping what it learnt', async () => {
    // Each answer takes 400 ms: three fit in 1.5 s, the fourth does not.
    const { modem, sim } = await pair({ answerDelayMs: 400 });
    const status = await modem.status(budget(1_500));
    expect(status.online).toBe(true);
    expect(status.sim).toBe('ready');
    expect(status.operator).toBeUndefined();
    // Why it stopped: the poll's deadline cut the wait for one command short (a modem that does
    // not answer at all is waited for AT_TIMEOUT_MS), or left no time to send the next one.
    const cut = /^no answer to (AT\+\w+\?) within (\d+) ms$/.exec(status.error ?? '');
    const unsent = /^no time left in this poll for (AT\+\w+\??)$/.exec(status.error ?? '');
    expect(cut ?? unsent, `stopped for another reason: ${status.error}`).not.toBeNull();
    if (cut) {
      expect(Number(cut[2])).toBeLessThan(1_500);
      expect(sim.commands.at(-1)).toBe(cut[1]);
    } else {
      expect(sim.commands).not.toContain(unsent![1]);
    }
    // Nothing was asked after the command that ran out of time.
    expect(sim.commands).not.toContain('AT+COPS?');
  });

  it('is offline while its tty is gone, and answers again once it is back', async () => {
    const { modem, wire, sim } = await pair();
    expect((await modem.status(budget())).online).toBe(true);
    wire.unplug();
    const gone = await modem.status(budget());
    expect(gone.online).toBe(false);
    expect(gone.error).toMatch(/ENOENT|not open/);
    wire.plug();
    await sim.attach(wire.device);
    // The line backs off (random 0 here) before it opens again.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await modem.status(budget())).online).toBe(true);
  });

  it('answers the self-test with a plain AT', async () => {
    const { modem, sim } = await pair();
    expect(await modem.ping(new AbortController().signal)).toEqual({ pass: true, detail: { path: '/dev/ttyUSB2', final: 'OK' } });
    sim.set({ silent: true });
    const silent = modem.ping(AbortSignal.timeout(200));
    expect((await silent).pass).toBe(false);
  });

  it('keeps the latest registration URC for when a query fails', async () => {
    const { modem, sim } = await pair();
    expect((await modem.status(budget())).registration).toBe('home');
    sim.sendUrc('+CREG: 5');
    sim.sendUrc('+CEREG: 5,"1A2B","01A2D001",7');
    await new Promise((resolve) => setTimeout(resolve, 10));
    sim.set({ unsupported: ['AT+CREG?', 'AT+CEREG?'] });
    const status = await modem.status(budget());
    expect(status).toMatchObject({ online: true, creg: 5, cereg: 5, registration: 'roaming', operator: 'SimTel' });
  });
});
