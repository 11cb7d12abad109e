// A TCP load balancer for tests with several hub processes: what a Kubernetes Service is to the
// hub's pods. Each connection goes to the next backend in rotation that is in service and accepts
// it (a refused connection tries the next one, as a dead pod's endpoint is dropped); a backend
// taken out of service gets no new connections while its open ones go on, like a terminating pod.
import { createServer, connect, type Server, type Socket } from "node:net";

export interface TcpBalancer {
  /** stops sending new connections to `port` (a pod marked terminating) */
  remove(port: number): void;
  /** sends new connections to `port` again (a pod ready again) */
  add(port: number): void;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` and spreads connections over 127.0.0.1:`backends`. */
export async function startTcpBalancer(port: number, backends: number[]): Promise<TcpBalancer> {
  const inService = new Set(backends);
  const open = new Set<Socket>();
  let next = 0;
  const pick = (tried: Set<number>) => {
    const order = backends.filter((b) => inService.has(b) && !tried.has(b));
    return order.length ? order[next++ % order.length] : undefined;
  };
  const server: Server = createServer((client) => {
    open.add(client);
    client.once("close", () => open.delete(client));
    client.pause();
    const tried = new Set<number>();
    const attempt = () => {
      const to = pick(tried);
      if (to === undefined) return client.destroy();
      tried.add(to);
      const upstream = connect(to, "127.0.0.1");
      let connected = false;
      upstream.on("error", () => {
        if (!connected) attempt();
        else client.destroy();
      });
      upstream.once("connect", () => {
        connected = true;
        open.add(upstream);
        upstream.once("close", () => {
          open.delete(upstream);
          client.destroy();
        });
        client.once("close", () => upstream.destroy());
        client.on("error", () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt();
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  return {
    remove: (p) => inService.delete(p),
    add: (p) => inService.add(p),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
