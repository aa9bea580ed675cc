import type { Logger } from 'pino';

/**
 * Logs a bad input (a sysfs file with garbage, an absurd value) once when it appears and once
 * when it goes away, not on every poll: a terminal's flash holds only so many log lines.
 */
export class InputProblems {
  private readonly current = new Map<string, string>();

  constructor(private readonly log: Logger) {}

  report(source: string, problem: string | undefined): void {
    const previous = this.current.get(source);
    if (problem === previous) return;
    if (problem === undefined) {
      this.current.delete(source);
      this.log.info({ file: source }, `${source} reads correctly again`);
    } else {
      this.current.set(source, problem);
      this.log.warn({ file: source, problem }, `${source}: ${problem}; the value is left out`);
    }
  }
}
