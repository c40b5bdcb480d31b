/** A one-line progress bar on a terminal's stderr; nothing at all when stderr is not a TTY. */
export interface Progress {
  update(done: number, total: number): void;
  end(): void;
}

const WIDTH = 30;

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, end() {} };
  let last = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 100 && done < total) return; // at most 10 redraws a second
      last = now;
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(ratio * WIDTH);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${done}/${total}`);
      drawn = true;
    },
    end() {
      if (drawn) stream.write('\n');
    },
  };
}
