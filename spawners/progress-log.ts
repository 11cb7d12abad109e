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

  push(progress: number, message: string): void {
    if (this.closed) return;
    this.last = Math.max(this.last, progress);
    this.events.push({ progress: this.last, message });
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
