import pino, { type Logger } from 'pino';

/** A logger that keeps its records in memory, to assert on what a log line says. */
export function memoryLog(level = 'trace'): { log: Logger; records: any[] } {
  const records: any[] = [];
  const log = pino({ level }, { write: (line: string) => records.push(JSON.parse(line)) });
  return { log, records };
}
