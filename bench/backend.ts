// Benchmark backend: 1 KiB text/plain on every HTTP request (keep-alive), WebSocket echo on
// upgrade. Usage: tsx bench/backend.ts <port>
import http from "node:http";
import { WebSocketServer } from "ws";

const port = Number(process.argv[2] ?? 7345);
const body = Buffer.alloc(1024, "x");
const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
  req.resume();
  res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
  res.end(body);
});
const wss = new WebSocketServer({ server });
wss.on("connection", (ws) => ws.on("message", (d, isBinary) => ws.send(d, { binary: isBinary })));
server.listen(port, "127.0.0.1", () => process.stdout.write(`backend listening on ${port}\n`));
