/**
 * A client handle opened on first use and shared by the calls after it; a
 * failed open is forgotten, so the next call tries again. Admin clients and
 * metadata consumers of the bus hold one each.
 */
export class LazyHandle<T> {
  private pending: Promise<T> | undefined;

  constructor(
    private readonly open: () => Promise<T>,
    private readonly release: (handle: T) => Promise<void>,
    /** A handle that never opened, or failed to close: worth a debug line, not an error. */
    private readonly onCloseProblem: (err: unknown) => void,
  ) {}

  get(): Promise<T> {
    if (!this.pending) {
      const pending = this.open();
      this.pending = pending;
      pending.catch(() => {
        if (this.pending === pending) this.pending = undefined;
      });
    }
    return this.pending;
  }

  async close(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    try {
      await this.release(await pending);
    } catch (err) {
      this.onCloseProblem(err);
    }
  }
}
