// Asks the hub what it knows of a server whose route's target did not answer, for the error page
// (server-down.ts). Bounded: one question per server per `ttlMs` however many requests fail (a
// page with 30 assets, a reconnecting client), an answer waited for at most `waitMs`, at most
// `maxEntries` servers remembered.
import type { HubConnection, ServerCheck } from "@/proxy/hub/connection";

export interface ServerStatusOptions {
  hub: HubConnection;
  /** how long one answer is reused */
  ttlMs: number;
  /** how long a failing request waits for the hub; then the page says what it knows without it */
  waitMs: number;
  maxEntries: number;
}

export class ServerStatusLookup {
  private readonly answers = new Map<string, { at: number; answer: Promise<ServerCheck | null> }>();

  constructor(private readonly opts: ServerStatusOptions) {}

  /** What the hub says of `server` of `user`; null when it knows none, fails or is slower than waitMs. */
  check(user: string, server: string, now = Date.now()): Promise<ServerCheck | null> {
    const key = `${user}\0${server}`;
    const hit = this.answers.get(key);
    if (hit && now - hit.at < this.opts.ttlMs) return hit.answer;
    const answer = this.ask(user, server);
    this.answers.delete(key);
    if (this.answers.size >= this.opts.maxEntries) this.answers.delete(this.answers.keys().next().value!);
    this.answers.set(key, { at: now, answer });
    return answer;
  }

  private ask(user: string, server: string): Promise<ServerCheck | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), this.opts.waitMs);
      this.opts.hub.checkServer({ user, server }).then(
        (check) => {
          clearTimeout(timer);
          resolve(check);
        },
        () => {
          clearTimeout(timer);
          resolve(null);
        },
      );
    });
  }
}
