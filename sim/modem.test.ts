import { afterEach, describe, expect, it } from 'vitest';
import { memoryLine } from '../drivers/serial/memory-transport.js';
import { SimModem, type ModemState } from './modem.js';

const modems: SimModem[] = [];
afterEach(async () => {
  await Promise.all(modems.splice(0).map((modem) => modem.close()));
});

/** The simulated modem on one end; the test types on the other and reads every byte back. */
async function terminal(state: Partial<ModemState> = {}, random?: () => number) {
  const wire = memoryLine();
  const sim = new SimModem(state, random);
  modems.push(sim);
  await sim.attach(wire.device);
  await wire.host.open();
  let received = '';
  wire.host.onData((chunk) => (received += chunk.toString('latin1')));
  return {
    sim,
    async type(text: string, settleMs = 20): Promise<string> {
      received = '';
      await wire.host.write(Buffer.from(text, 'latin1'));
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      return received;
    },
  };
}

describe('simulated modem (DEVICES.md golden vectors, byte for byte)', () => {
  it('answers AT+CSQ with rssi 17 as \\r\\n+CSQ: 17,99\\r\\n\\r\\nOK\\r\\n', async () => {
    const modem = await terminal({ echo: false, rssi: 17, ber: 99 });
    expect(await modem.type('AT+CSQ\r')).toBe('\r\n+CSQ: 17,99\r\n\r\nOK\r\n');
  });

  it('answers AT+CREG? while roaming, with URCs off, as \\r\\n+CREG: 0,5\\r\\n\\r\\nOK\\r\\n', async () => {
    const modem = await terminal({ echo: false, creg: 5 });
    expect(await modem.type('AT+CREG=0\r')).toBe('\r\nOK\r\n');
    expect(await modem.type('AT+CREG?\r')).toBe('\r\n+CREG: 0,5\r\n\r\nOK\r\n');
  });

  it('echoes until ATE0, as V.250 says', async () => {
    const modem = await terminal();
    expect(await modem.type('AT\r')).toBe('AT\r\r\nOK\r\n');
    expect(await modem.type('ATE0\r')).toBe('ATE0\r\r\nOK\r\n');
    expect(await modem.type('AT\r')).toBe('\r\nOK\r\n');
    expect(modem.sim.current.echo).toBe(false);
  });

  it('reports the SIM as the state says, with the error format +CMEE asks for', async () => {
    const modem = await terminal({ echo: false, sim: 'absent' });
    expect(await modem.type('AT+CPIN?\r')).toBe('\r\n+CME ERROR: 10\r\n');
    await modem.type('AT+CMEE=2\r');
    expect(await modem.type('AT+CPIN?\r')).toBe('\r\n+CME ERROR: SIM not inserted\r\n');
    await modem.type('AT+CMEE=0\r');
    expect(await modem.type('AT+CPIN?\r')).toBe('\r\nERROR\r\n');
    modem.sim.set({ sim: 'pin' });
    expect(await modem.type('AT+CPIN?\r')).toBe('\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n');
  });

  it('answers +COPS with and without an operator, and an unknown command with an error', async () => {
    const modem = await terminal({ echo: false });
    expect(await modem.type('AT+COPS?\r')).toBe('\r\n+COPS: 0,0,"SimTel",7\r\n\r\nOK\r\n');
    modem.sim.set({ operator: undefined });
    expect(await modem.type('AT+COPS?\r')).toBe('\r\n+COPS: 0\r\n\r\nOK\r\n');
    expect(await modem.type('AT+FROB\r')).toBe('\r\n+CME ERROR: 4\r\n');
  });

  it('slips a URC between the echo and the answer when told to', async () => {
    const modem = await terminal({ urcInAnswer: 1, creg: 5 }, () => 0);
    expect(await modem.type('AT+CSQ\r')).toBe('AT+CSQ\r\r\n+CREG: 5\r\n\r\n+CSQ: 21,99\r\n\r\nOK\r\n');
  });

  it('sends URCs by itself at random moments', async () => {
    const modem = await terminal({ urcEveryMs: 10 });
    const heard = await modem.type('', 300);
    expect(heard).toMatch(/^(\r\n(\+CREG: 1|\+CEREG: 1|RING)\r\n)+$/);
  });

  it('answers slowly, or not at all', async () => {
    const modem = await terminal({ echo: false, answerDelayMs: 600 });
    expect(await modem.type('AT\r', 20)).toBe('');
    expect(await modem.type('', 1_500)).toBe('\r\nOK\r\n');
    modem.sim.set({ silent: true, answerDelayMs: 0 });
    expect(await modem.type('AT\r', 100)).toBe('');
  });

  it('refuses a state field it does not have', async () => {
    const modem = await terminal();
    expect(() => modem.sim.set({ signal: 3 } as never)).toThrow(/no field "signal"/);
  });
});
