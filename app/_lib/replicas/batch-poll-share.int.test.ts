// The batch poll shared by hub replicas on a real PostgreSQL (the scenarios of
// testing/batch-poll-scenarios.ts, which batch-poll-share.test.ts runs on SQLite).
import { startTestPostgres } from "../testing/postgres";
import { describeBatchPollSharing } from "./testing/batch-poll-scenarios";

describeBatchPollSharing({
  provider: "postgres",
  async open() {
    const pg = await startTestPostgres(7693);
    return { url: pg.url, close: () => pg.stop() };
  },
});
