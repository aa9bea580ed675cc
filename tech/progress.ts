/**
 * One line of progress on a terminal, rewritten in place ("receiving logs: part 3 of 7"); nothing
 * at all when the output is a pipe or a file, so a script's stderr stays clean.
 */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export class Progress {
  private shown = false;

  constructor(private readonly stream: ProgressStream) {}

  show(text: string): void {
    if (!this.stream.isTTY) return;
    this.stream.write(`\r\u001b[2K${text}`);
    this.shown = true;
  }

  done(): void {
    if (!this.shown) return;
    this.stream.write('\r\u001b[2K');
    this.shown = false;
  }
}
