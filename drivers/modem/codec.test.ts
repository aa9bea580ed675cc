import { describe, expect, it } from 'vitest';
import {
  classifyLine, parseCops, parseCpin, parseCsq, parseRegistrationAnswer, parseRegistrationUrc, registrationOf,
} from './codec.js';

/** The information lines of a raw answer, split the way the session splits them. */
function linesOf(raw: string): string[] {
  return raw.split('\r\n').filter((line) => line !== '' && line !== 'OK');
}

describe('AT result lines (3GPP TS 27.007, DEVICES.md golden vectors)', () => {
  it('reads \\r\\n+CSQ: 17,99\\r\\n\\r\\nOK\\r\\n as -79 dBm', () => {
    expect(parseCsq(linesOf('\r\n+CSQ: 17,99\r\n\r\nOK\r\n'))).toEqual({ rssi: 17, ber: 99, rssiDbm: -79 });
  });

  it('reads \\r\\n+CREG: 0,5\\r\\n\\r\\nOK\\r\\n as roaming', () => {
    const stat = parseRegistrationAnswer(linesOf('\r\n+CREG: 0,5\r\n\r\nOK\r\n'), '+CREG');
    expect(stat).toBe(5);
    expect(registrationOf(stat)).toBe('roaming');
  });

  it('maps CSQ 0..31 to -113..-51 dBm and 99 to unknown; rejects the rest', () => {
    expect(parseCsq(['+CSQ: 0,0'])?.rssiDbm).toBe(-113);
    expect(parseCsq(['+CSQ: 31,0'])?.rssiDbm).toBe(-51);
    expect(parseCsq(['+CSQ: 4,99'])?.rssiDbm).toBe(-105);
    expect(parseCsq(['+CSQ: 99,99'])).toEqual({ rssi: 99, ber: 99 });
    expect(parseCsq(['+CSQ: 32,99'])).toBeUndefined();
    expect(parseCsq(['+CSQ: x,99'])).toBeUndefined();
    expect(parseCsq([])).toBeUndefined();
  });

  it('reads every registration stat, with or without location fields', () => {
    const names = [0, 1, 2, 3, 4, 5].map((stat) => registrationOf(parseRegistrationAnswer([`+CEREG: 2,${stat},"1A2B","01A2D001",7`], '+CEREG')));
    expect(names).toEqual(['none', 'home', 'searching', 'denied', 'unknown', 'roaming']);
    expect(parseRegistrationAnswer(['+CREG: 0,9'], '+CREG')).toBeUndefined();
    expect(parseRegistrationAnswer(['+CREG: 5'], '+CREG')).toBeUndefined();
  });

  it('takes the better of +CREG and +CEREG (an LTE-only modem is registered on +CEREG alone)', () => {
    expect(registrationOf(0, 1)).toBe('home');
    expect(registrationOf(5, 2)).toBe('roaming');
    expect(registrationOf(3, undefined)).toBe('denied');
    expect(registrationOf(undefined, undefined)).toBeUndefined();
  });

  it('reads +CPIN answers and the SIM CME errors', () => {
    const ok = { result: 'OK' } as const;
    expect(parseCpin(['+CPIN: READY'], ok)).toBe('ready');
    expect(parseCpin(['+CPIN: SIM PIN'], ok)).toBe('pin');
    expect(parseCpin(['+CPIN: SIM PUK'], ok)).toBe('puk');
    expect(parseCpin(['+CPIN: PH-SIM PIN'], ok)).toBe('other');
    expect(parseCpin([], { result: 'CME ERROR', code: 10 })).toBe('absent');
    expect(parseCpin([], { result: 'CME ERROR', code: 11 })).toBe('pin');
    expect(parseCpin([], { result: 'CME ERROR', code: 13 })).toBe('failure');
    expect(parseCpin([], { result: 'CME ERROR', code: 100 })).toBe('error');
    expect(parseCpin([], { result: 'ERROR' })).toBe('error');
    expect(parseCpin([], ok)).toBeUndefined();
  });

  it('reads +COPS with and without an operator', () => {
    expect(parseCops(['+COPS: 0,0,"Vodafone DE",7'])).toEqual({ name: 'Vodafone DE', accessTechnology: 'LTE' });
    expect(parseCops(['+COPS: 0,2,"26202"'])).toEqual({ name: '26202' });
    expect(parseCops(['+COPS: 0'])).toEqual({});
    expect(parseCops(['+COPS: garbage'])).toBeUndefined();
  });

  it('classifies final results, numeric and verbose CME errors', () => {
    expect(classifyLine('OK')).toEqual({ kind: 'final', final: { result: 'OK' } });
    expect(classifyLine('ERROR')).toEqual({ kind: 'final', final: { result: 'ERROR' } });
    expect(classifyLine('+CME ERROR: 10')).toEqual({ kind: 'final', final: { result: 'CME ERROR', code: 10 } });
    expect(classifyLine('+CME ERROR: SIM not inserted')).toEqual({ kind: 'final', final: { result: 'CME ERROR', code: 10 } });
    expect(classifyLine('+CME ERROR: something odd')).toEqual({ kind: 'final', final: { result: 'CME ERROR', code: -1 } });
  });

  it('tells a registration URC from the answer to a query by its shape', () => {
    expect(classifyLine('+CREG: 1', '+CREG:').kind).toBe('unsolicited');
    expect(classifyLine('+CREG: 1,"00C3","0000FD05",7', '+CREG:').kind).toBe('unsolicited');
    expect(classifyLine('+CEREG: 5,"1A2B","01A2D001",7', '+CEREG:').kind).toBe('unsolicited');
    expect(classifyLine('+CREG: 0,5', '+CREG:').kind).toBe('information');
    expect(classifyLine('+CREG: 2,1,"00C3","0000FD05",7', '+CREG:').kind).toBe('information');
    expect(parseRegistrationUrc('+CEREG: 3,"1A2B","01A2D001",7')).toEqual({ prefix: '+CEREG', stat: 3 });
    expect(parseRegistrationUrc('+CREG: 0,5')).toBeUndefined();
  });

  it('classifies other URCs, but not the answer a command waits for', () => {
    expect(classifyLine('RING').kind).toBe('unsolicited');
    expect(classifyLine('+CMTI: "SM",3', '+CSQ:').kind).toBe('unsolicited');
    expect(classifyLine('+CSQ: 17,99', '+CSQ:').kind).toBe('information');
    expect(classifyLine('Quectel').kind).toBe('information');
  });
});
