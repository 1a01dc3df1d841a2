/**
 * Progress on stderr: a redrawn bar when stderr is a terminal, plain lines otherwise (CI logs,
 * pipes), so a long benchmark never looks hung and never fills a log with carriage returns.
 */
const redrawIntervalMs = 250;
const plainLineIntervalMs = 10_000;
const barWidthChars = 28;

export interface ProgressTask {
  /** Reports how far along the task is (0..1) and a short status such as the current ops/s. */
  update(fraction: number, status: string): void;
  /** Ends the task with a one-line summary. */
  done(summary: string): void;
}

export class Progress {
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
  ) {}

  private get interactive(): boolean {
    return this.stream.isTTY === true;
  }

  log(line: string): void {
    if (!this.enabled) return;
    if (this.interactive) this.stream.write('\r\x1b[2K');
    this.stream.write(`${line}\n`);
  }

  start(label: string): ProgressTask {
    return this.interactive ? this.barTask(label) : this.plainTask(label);
  }

  private barTask(label: string): ProgressTask {
    let fraction = 0;
    let status = '';
    const draw = (): void => {
      if (!this.enabled) return;
      const filled = Math.round(Math.min(1, Math.max(0, fraction)) * barWidthChars);
      const bar = '█'.repeat(filled) + '░'.repeat(barWidthChars - filled);
      const line = `${label} ${bar} ${Math.floor(fraction * 100)}% ${status}`;
      this.stream.write(`\r\x1b[2K${line.slice(0, (this.stream.columns || 120) - 1)}`);
    };
    const timer = setInterval(draw, redrawIntervalMs);
    timer.unref();
    draw();
    return {
      update: (f, s) => {
        fraction = f;
        status = s;
      },
      done: (summary) => {
        clearInterval(timer);
        this.log(`${label} ${summary}`);
      },
    };
  }

  private plainTask(label: string): ProgressTask {
    this.log(`${label} …`);
    let lastLineAt = Date.now();
    return {
      update: (fraction, status) => {
        if (Date.now() - lastLineAt < plainLineIntervalMs) return;
        lastLineAt = Date.now();
        this.log(`${label} ${Math.floor(fraction * 100)}% ${status}`);
      },
      done: (summary) => this.log(`${label} ${summary}`),
    };
  }
}
