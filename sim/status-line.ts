/**
 * A line that shows how something is going: redrawn in place on a terminal, written as plain
 * lines (at most one every `plainEveryMs`) when the output is a file or a pipe, so a log of the
 * run stays readable.
 */
export class StatusLine {
  private readonly tty: boolean;
  private drawn = false;
  private lastPlain = 0;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stdout,
    private readonly plainEveryMs = 2_000,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  /** The current state; on a pipe, written only if the last line is old enough. */
  update(text: string): void {
    if (this.tty) {
      // Cut to the terminal's width: a wrapped line cannot be redrawn in place.
      this.out.write(`\r\x1b[K${text.slice(0, Math.max(20, (this.out.columns ?? 80) - 1))}`);
      this.drawn = true;
      return;
    }
    const now = performance.now();
    if (now - this.lastPlain < this.plainEveryMs) return;
    this.lastPlain = now;
    this.out.write(`${text}\n`);
  }

  /** A line that stays: it ends the line being redrawn. */
  print(text: string): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
    this.out.write(`${text}\n`);
  }
}
