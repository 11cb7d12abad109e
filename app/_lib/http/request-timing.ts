// Express middleware: each request's duration into jupyterhub_request_duration_seconds, labelled by
// method, route template and status code once the answer is sent. Per request: one clock read at
// each end, a table lookup for the template and an observe on a cached histogram child.
import type { Request, Response, NextFunction } from "express";
import type { HubMetrics } from "../hub/metrics";
import { requestHandlerLabel } from "../hub/request-handler-label";

export function timeRequests(metrics: HubMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.once("finish", () => {
      const url = req.originalUrl;
      const q = url.indexOf("?");
      const handler = requestHandlerLabel(q === -1 ? url : url.slice(0, q));
      metrics.observeRequest(req.method, handler, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}
