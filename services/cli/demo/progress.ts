/** Where the demo writes: a terminal gets one refreshed status line, anything else plain lines. */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  out: ProgressOutput;
  /** The current status, one line. */
  status(): string;
  /** Refresh period on a terminal. @default 250 */
  refreshMs?: number;
  /** Without a terminal, the status is written as a line this often. @default 10000 */
  plainEveryMs?: number;
}

export interface Progress {
  /** A line that stays (a milestone), written above the status line. */
  note(line: string): void;
  stop(): void;
}

/**
 * Live progress: on a terminal a status line redrawn in place under the
 * milestone lines; without one (a pipe, CI, a log file) the milestones and a
 * status line every few seconds, never a carriage return.
 */
export function createProgress(options: ProgressOptions): Progress {
  const { out } = options;
  const tty = out.isTTY === true;
  const fit = (line: string): string => (tty && out.columns ? line.slice(0, Math.max(20, out.columns - 1)) : line);
  const clear = tty ? '\r\x1b[K' : '';
  const draw = (): void => void out.write(`${clear}${fit(options.status())}`);
  const timer = setInterval(tty ? draw : () => void out.write(`${options.status()}\n`), tty ? (options.refreshMs ?? 250) : (options.plainEveryMs ?? 10_000));
  timer.unref();
  return {
    note(line) {
      out.write(`${clear}${line}\n`);
      if (tty) draw();
    },
    stop() {
      clearInterval(timer);
      if (tty) out.write(clear);
    },
  };
}
