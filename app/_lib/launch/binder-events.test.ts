// BinderHub's event-stream protocol, checked the way its clients read it: a WHATWG EventSource
// (the `eventsource` package, what Thebe's `new EventSource(url)` is in a browser) over real HTTP,
// and Thebe's own handling of each message (packages/core/src/server.ts connectToServerViaBinder:
// JSON.parse(data), phase lower-cased, close on "failed" and "ready", then baseUrl = msg.url,
// wsUrl = "ws" + msg.url.slice(4), token = msg.token).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { EventSource } from "eventsource";
import {
  acceptsEventStream,
  binderEventFor,
  binderReadyEvent,
  EVENT_STREAM_HEADERS,
  formatSseData,
  KEEPALIVE_COMMENT,
  type BinderEvent,
  type BinderReadyInfo,
} from "./binder-events";
import { launchEventFromStored, type LaunchProgressEvent, type StoredSpawnEvent } from "./launch-progress";

const READY: BinderReadyInfo = {
  url: "http://127.0.0.1:9/user/alice/requirements-1a2b3c4d/",
  token: "gyre-api-token-for-this-server",
  image: "venv:19e406ad2f7a6e2e",
  repoUrl: "https://github.com/binder-examples/requirements",
  refUrl: "https://github.com/binder-examples/requirements/tree/1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d",
  launchHost: "http://127.0.0.1:9/",
  request: "v2/gh/binder-examples/requirements/HEAD",
  persistentRequest: "v2/gh/binder-examples/requirements/1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d",
};

test("launch progress → BinderHub phases; messages end with a newline", () => {
  const cases: [LaunchProgressEvent, BinderEvent][] = [
    [
      { phase: "resolving", message: "Resolving HEAD" },
      { phase: "waiting", message: "Resolving HEAD\n" },
    ],
    [
      { phase: "fetching", message: "Fetching\n" },
      { phase: "fetching", message: "Fetching\n" },
    ],
    [
      { phase: "building", message: "Installing requirements.txt" },
      { phase: "building", message: "Installing requirements.txt\n" },
    ],
    [
      { phase: "building", message: "Environment cached", cached: true },
      { phase: "built", message: "Environment cached\n" },
    ],
    [
      { phase: "waiting", message: "Queued (job 12)" },
      { phase: "launching", message: "Queued (job 12)\n" },
    ],
    [
      { phase: "starting", message: "Starting the server" },
      { phase: "launching", message: "Starting the server\n" },
    ],
    [
      { phase: "failed", message: "pip failed", logTail: "ERROR: x" },
      { phase: "failed", message: "pip failed\nERROR: x\n" },
    ],
  ];
  for (const [event, want] of cases) assert.deepEqual(binderEventFor(event), want);
});

test("the ready event carries exactly BinderHub's fields", () => {
  const ready = binderReadyEvent(READY);
  // the keys of a real BinderHub ready event (binderhub js/packages/binderhub-client/tests/fixtures/fullbuild.eventsource)
  assert.deepEqual(Object.keys(ready).sort(), [
    "binder_launch_host",
    "binder_persistent_request",
    "binder_ref_url",
    "binder_request",
    "image",
    "message",
    "phase",
    "repo_url",
    "token",
    "url",
  ]);
  assert.equal(ready.message, `server running at ${READY.url}\n`);
  assert.equal(formatSseData(ready), `data: ${JSON.stringify(ready)}\n\n`);
});

test("only requests that accept text/event-stream are served (BinderHub answers 400 otherwise)", () => {
  assert.equal(acceptsEventStream("text/event-stream"), true);
  assert.equal(acceptsEventStream("text/html, text/event-stream;q=0.9"), true);
  assert.equal(acceptsEventStream("Text/Event-Stream"), true);
  assert.equal(acceptsEventStream("*/*"), false);
  assert.equal(acceptsEventStream(undefined), false);
});

/** Serves `events` (with keep-alive comments between) and lingers, as the /build route will. */
async function serveStream(events: BinderEvent[]): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (!acceptsEventStream(req.headers.accept)) {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(200, EVENT_STREAM_HEADERS);
    res.write(KEEPALIVE_COMMENT);
    for (const e of events) {
      res.write(formatSseData(e));
      res.write(KEEPALIVE_COMMENT);
    }
    // linger: the client closes first
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/build/gh/binder-examples/requirements/HEAD`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Thebe's handling of a Binder event stream, reduced to what it does with each message. */
function thebeConnect(url: string): Promise<{ statuses: string[]; settings: { baseUrl: string; wsUrl: string; token: string } }> {
  return new Promise((resolve, reject) => {
    const statuses: string[] = [];
    const es = new EventSource(url);
    es.onerror = () => {
      es.close();
      reject(new Error(`Lost connection to binder: ${url}`));
    };
    es.onmessage = (evt: MessageEvent<string>) => {
      const msg = JSON.parse(evt.data) as { phase?: string; message: string; url: string; token: string };
      const phase = msg.phase?.toLowerCase() ?? "";
      if (phase === "failed") {
        es.close();
        reject(new Error(`Binder: failed to build - ${url} - ${msg.message}`));
      } else if (phase === "ready") {
        es.close();
        resolve({ statuses, settings: { baseUrl: msg.url, wsUrl: "ws" + msg.url.slice(4), token: msg.token } });
      } else statuses.push(`Binder is: ${phase} - ${msg.message}`);
    };
  });
}

test("Thebe's client follows a launch to the ready event and gets the server URL and token", async () => {
  const progress: LaunchProgressEvent[] = [
    { phase: "resolving", message: "Resolving HEAD of binder-examples/requirements" },
    { phase: "fetching", message: "Fetching 1a2b3c4d5e6f" },
    { phase: "building", message: "Environment cached", cached: true },
    { phase: "starting", message: "Starting the server" },
  ];
  const srv = await serveStream([...progress.map(binderEventFor), binderReadyEvent(READY)]);
  try {
    const { statuses, settings } = await thebeConnect(srv.url);
    assert.deepEqual(statuses, [
      "Binder is: waiting - Resolving HEAD of binder-examples/requirements\n",
      "Binder is: fetching - Fetching 1a2b3c4d5e6f\n",
      "Binder is: built - Environment cached\n",
      "Binder is: launching - Starting the server\n",
    ]);
    assert.deepEqual(settings, { baseUrl: READY.url, wsUrl: "ws://127.0.0.1:9/user/alice/requirements-1a2b3c4d/", token: READY.token });
  } finally {
    await srv.close();
  }
});

test("Thebe's client ends with the reason of a failed launch", async () => {
  const srv = await serveStream([
    binderEventFor({ phase: "resolving", message: "Resolving nope" }),
    binderEventFor({ phase: "failed", message: "binder-examples/requirements has no branch or tag named nope." }),
  ]);
  try {
    await assert.rejects(thebeConnect(srv.url), /failed to build - .* - binder-examples\/requirements has no branch or tag named nope\.\n$/);
  } finally {
    await srv.close();
  }
});

test("stored spawn events of a launch's server → launch events (steps kept, plain messages take the current phase)", () => {
  const row = (o: Partial<StoredSpawnEvent>): StoredSpawnEvent => ({ kind: "progress", message: "m", phase: null, cached: null, ...o });
  assert.deepEqual(launchEventFromStored(row({ message: "Server requested" }), "resolving"), { phase: "resolving", message: "Server requested" });
  assert.deepEqual(launchEventFromStored(row({ phase: "building", cached: true }), "fetching"), { phase: "building", message: "m", cached: true });
  assert.deepEqual(launchEventFromStored(row({ phase: "waiting" }), "resolving"), { phase: "waiting", message: "m" });
  assert.deepEqual(launchEventFromStored(row({ phase: "nonsense" }), "starting"), { phase: "starting", message: "m" });
  assert.deepEqual(launchEventFromStored(row({ kind: "ready", message: "Server ready" }), "starting"), { phase: "ready", message: "Server ready" });
  assert.deepEqual(launchEventFromStored(row({ kind: "failed", message: "why" }), "building"), { phase: "failed", message: "why" });
  assert.deepEqual(launchEventFromStored(row({ kind: "stopped", message: "Stopped before it was ready." }), "building"), {
    phase: "failed",
    message: "Stopped before it was ready.",
  });
});
