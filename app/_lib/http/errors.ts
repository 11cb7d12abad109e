// One way to turn errors into HTTP responses: HttpError carries a status and a user-facing
// message; anything else is logged and answered with a generic 500.
import { ZodError } from "zod";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function errorToJson(err: unknown, log?: { error: (o: object, m: string) => void }): { status: number; body: { status: number; message: string } } {
  if (err instanceof HttpError) return { status: err.status, body: { status: err.status, message: err.message } };
  if (err instanceof ZodError) {
    const message = err.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
    return { status: 400, body: { status: 400, message } };
  }
  log?.error({ err }, "unhandled error in request");
  return { status: 500, body: { status: 500, message: "Internal error; the hub's log has the details." } };
}
