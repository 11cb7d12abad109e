// Runs code in a real Jupyter kernel over its channels WebSocket (Jupyter's messaging protocol,
// 5.3), for the tests and benches that check what a kernel of a spawned server answers.
import WebSocket from "ws";

export interface KernelCellOptions {
  /** the WebSocket handshake's headers (a token); none when the URL carries the token */
  headers?: Record<string, string>;
  /** the messages' `username` */
  username?: string;
  /** rejects, with the output so far, when the kernel has not gone idle by then (default 60 s) */
  timeoutMs?: number;
}

/**
 * Sends one execute_request over `channelsUrl` (`…/api/kernels/<id>/channels`) and resolves with
 * the cell's output once the kernel is idle again: its stream text and, for an error,
 * `<ename>: <evalue>` (a result that is only displayed, such as a bare `1+1`, is in neither).
 */
export function runCellOverWebSocket(channelsUrl: string, code: string, opts: KernelCellOptions = {}): Promise<string> {
  const msgId = `cell-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const username = opts.username ?? "test";
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(channelsUrl, { headers: opts.headers });
    let text = "";
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`the kernel did not answer within ${timeoutMs} ms (output so far: ${JSON.stringify(text)})`));
    }, timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    ws.once("error", fail);
    ws.once("unexpected-response", (_req, res) => fail(new Error(`WebSocket refused: ${res.statusCode}`)));
    ws.once("open", () =>
      ws.send(
        JSON.stringify({
          header: { msg_id: msgId, msg_type: "execute_request", username, session: username, version: "5.3", date: new Date().toISOString() },
          parent_header: {},
          metadata: {},
          content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
          channel: "shell",
        }),
      ),
    );
    ws.on("message", (data: Buffer) => {
      const m = JSON.parse(data.toString("utf8")) as {
        msg_type: string;
        parent_header: { msg_id?: string };
        content: { text?: string; execution_state?: string; ename?: string; evalue?: string };
      };
      if (m.parent_header.msg_id !== msgId) return;
      if (m.msg_type === "stream") text += m.content.text ?? "";
      if (m.msg_type === "error") text += `${m.content.ename}: ${m.content.evalue}`;
      if (m.msg_type === "status" && m.content.execution_state === "idle") {
        clearTimeout(timer);
        ws.close();
        resolve(text);
      }
    });
  });
}
