// Progress display: one self-rewriting line on a terminal, periodic plain lines otherwise.

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** Stream to write to; default process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Print nothing. */
  quiet?: boolean;
  /** Seconds between plain lines when not on a terminal; default 5. */
  plainEvery?: number;
}

export class Progress {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly quiet: boolean;
  private readonly plainEvery: number;
  private lastPlain = 0;
  private lastDraw = 0;
  private open = false;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = !!this.stream.isTTY;
    this.quiet = !!options.quiet;
    this.plainEvery = (options.plainEvery ?? 5) * 1000;
  }

  /** A bar of `width` cells for fraction f. */
  static bar(f: number, width = 24): string {
    const n = Math.max(0, Math.min(width, Math.round(f * width)));
    return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
  }

  /** Updates the current line (throttled to 10 redraws/s on a terminal). */
  update(text: string, force = false): void {
    if (this.quiet) return;
    const now = Date.now();
    if (this.tty) {
      if (!force && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      const cols = this.stream.columns || 120;
      this.stream.write(`\r\x1b[2K${text.slice(0, cols - 1)}`);
      this.open = true;
    } else if (force || now - this.lastPlain >= this.plainEvery) {
      this.lastPlain = now;
      this.stream.write(`${text}\n`);
    }
  }

  /** Prints a line that stays (ending the current progress line). */
  log(text: string): void {
    if (this.quiet) return;
    this.done();
    this.stream.write(`${text}\n`);
  }

  /** Ends the progress line. */
  done(): void {
    if (this.open) {
      this.stream.write('\n');
      this.open = false;
    }
  }
}

/** Seconds as m:ss. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}
