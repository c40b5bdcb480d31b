/**
 * Progress of long work on a terminal: one line redrawn in place on stderr. Off a terminal
 * (scripts, CI logs) it prints nothing until `done`, so logs stay one line per outcome.
 */
export class ProgressBar {
  private last = 0;

  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(done: number, total: number): void {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    if (now - this.last < 100 && done < total) return;
    this.last = now;
    const width = 30;
    const ratio = total > 0 ? Math.min(done / total, 1) : 1;
    const filled = Math.round(ratio * width);
    this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(ratio * 100)}% ${done}/${total}`);
  }

  done(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
