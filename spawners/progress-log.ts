// The queue behind Spawner.progress(): events pushed while starting, replayed to every iterator
// from the beginning, ending when closed. Progress never goes backwards (a bar that jumps back
// confuses people), so each event's progress is at least the previous one's.
import type { ProgressEvent } from "./types";

export class ProgressLog {
  private events: ProgressEvent[] = [];
  private closed = false;
  private wake: (() => void)[] = [];
  /** highest progress so far */
  last = 0;

  /** `step`: the launch step and cache flag of the event (ProgressEvent.phase / cached), if any. */
  push(progress: number, message: string, step?: Pick<ProgressEvent, "phase" | "cached">): void {
    if (this.closed) return;
    this.last = Math.max(this.last, progress);
    this.events.push({
      progress: this.last,
      message,
      ...(step?.phase ? { phase: step.phase } : {}),
      ...(step?.cached !== undefined ? { cached: step.cached } : {}),
    });
    this.notify();
  }

  close(): void {
    this.closed = true;
    this.notify();
  }

  async *iterate(): AsyncGenerator<ProgressEvent> {
    let i = 0;
    for (;;) {
      while (i < this.events.length) yield this.events[i++];
      if (this.closed) return;
      await new Promise<void>((r) => this.wake.push(r));
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = [];
    for (const r of w) r();
  }
}
