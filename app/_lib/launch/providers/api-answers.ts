// Reading GitHub's and GitLab's REST answers into a commit or an error a person can act on. Pure.
// GitHub: docs.github.com/rest ("Get a commit", "Get a gist"; rate limits: x-ratelimit-remaining
// and x-ratelimit-reset on 403/429, or retry-after for secondary limits). GitLab:
// docs.gitlab.com/api/commits ("Get a single commit"; 404 with {"message": "404 ... Not Found"}).
import { LaunchError } from "../launch-error";
import { COMMIT_PATTERN } from "../refs";
import type { ApiAnswer, ApiReading } from "./types";

/** Reads a GitHub answer: `sha` is where the commit is in it; `what` names the thing for messages. */
export function readGitHubAnswer(answer: ApiAnswer, now: number, what: string, commitOf: (body: unknown) => string | undefined): ApiReading {
  if (answer.status === 304) return { notModified: true };
  const limited = readGitHubRateLimit(answer, now);
  if (limited) return { error: limited };
  if (answer.status === 404 || answer.status === 422) {
    return { error: new LaunchError("not-found", `${what} was not found on GitHub. Check the link; private repositories cannot be launched.`) };
  }
  if (answer.status === 401)
    return { error: new LaunchError("unreachable", "GitHub refused the hub's API token; an administrator must renew launch.github.tokenFile.") };
  if (answer.status !== 200) return { error: new LaunchError("unreachable", `GitHub answered ${answer.status} while resolving ${what}; try again later.`) };
  const commit = commitOf(answer.body);
  if (!commit || !COMMIT_PATTERN.test(commit)) return { error: new LaunchError("unreachable", `GitHub's answer for ${what} has no commit id.`) };
  return { commit };
}

function readGitHubRateLimit(answer: ApiAnswer, now: number): LaunchError | null {
  if (answer.status !== 403 && answer.status !== 429) return null;
  const retryAfter = Number(answer.headers["retry-after"]);
  if (Number.isFinite(retryAfter) && retryAfter > 0) return rateLimited(retryAfter);
  if (answer.headers["x-ratelimit-remaining"] === "0") {
    const reset = Number(answer.headers["x-ratelimit-reset"]);
    const seconds = Number.isFinite(reset) ? Math.max(1, Math.ceil(reset - now / 1000)) : 3600;
    return rateLimited(seconds);
  }
  return null;
}

function rateLimited(seconds: number): LaunchError {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return new LaunchError(
    "rate-limited",
    `GitHub's API rate limit is used up; try again in ${minutes} minute${minutes === 1 ? "" : "s"}. An administrator can raise the limit with launch.github.tokenFile.`,
    seconds,
  );
}

/** Reads a GitLab "get a single commit" answer. */
export function readGitLabAnswer(answer: ApiAnswer, now: number, what: string): ApiReading {
  if (answer.status === 304) return { notModified: true };
  if (answer.status === 404)
    return { error: new LaunchError("not-found", `${what} was not found on GitLab. Check the link; private projects cannot be launched.`) };
  if (answer.status === 429) {
    const retryAfter = Number(answer.headers["retry-after"]);
    const reset = Number(answer.headers["ratelimit-reset"]);
    const seconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : Number.isFinite(reset) ? Math.max(1, Math.ceil(reset - now / 1000)) : 60;
    const minutes = Math.max(1, Math.ceil(seconds / 60));
    return {
      error: new LaunchError("rate-limited", `GitLab's API rate limit is used up; try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`, seconds),
    };
  }
  if (answer.status === 401 || answer.status === 403)
    return { error: new LaunchError("not-found", `${what} is not accessible on GitLab; private projects cannot be launched.`) };
  if (answer.status !== 200) return { error: new LaunchError("unreachable", `GitLab answered ${answer.status} while resolving ${what}; try again later.`) };
  const id = (answer.body as { id?: unknown } | null)?.id;
  if (typeof id !== "string" || !COMMIT_PATTERN.test(id)) return { error: new LaunchError("unreachable", `GitLab's answer for ${what} has no commit id.`) };
  return { commit: id };
}
