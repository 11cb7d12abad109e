// Wraps a route handler so every error becomes one consistent JSON response (see errors.ts).
import { getRuntime } from "../runtime";
import { errorToJson, HttpError } from "./errors";

export type Params<T> = { params: Promise<T> };

export function route<P = Record<string, never>>(fn: (req: Request, ctx: Params<P>) => Promise<Response>) {
  return async (req: Request, ctx: Params<P>): Promise<Response> => {
    try {
      return await fn(req, ctx);
    } catch (err) {
      const { status, body } = errorToJson(err, getRuntime().log);
      return Response.json(body, { status });
    }
  };
}

/** Parses a JSON body (empty body → {}); malformed JSON is a 400 with a message. */
export async function readJson(req: Request): Promise<unknown> {
  const text = await req.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "The request body is not valid JSON.");
  }
}
