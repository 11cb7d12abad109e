// A user's server that ends outside the hub in the seconds before the hub's own poll (here: its
// process killed; on a cluster, a job cancelled with scancel/qdel): the proxy's page says that it
// stopped and why, and offers to start it again; the hub clears what the server left (a process
// its kernel started in a session of its own, its runtime dir with its cookie secret). Real hub,
// proxy, Jupyter server, kernel and Chromium; the hub's poll interval is an hour, so only the
// proxy's question can tell.
import { existsSync, readFileSync } from "node:fs";
import { test, expect } from "@playwright/test";
import { createUser, login, runCell, startGyre, startServerViaApi, type Gyre } from "./harness";

const USER = { name: "kim", password: "kim-password-e2e" };
let g: Gyre;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  g = await startGyre({ basePort: 7770, env: { GYRE_HUB__POLL_INTERVAL_SECONDS: "3600" } });
  await createUser(g, USER.name, USER.password);
});
test.afterAll(async () => {
  await g?.stop();
});

test("a server killed outside the hub: a stranger is refused and learns nothing; the owner's open tab says it stopped and why, and 'Start it again' leads to the spawn page; what the server left is gone", async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  await createUser(g, "lee", "lee-password-e2e");
  await startServerViaApi(g, USER.name);
  const state = async () => {
    const m = (await (await g.api(USER.name, `/hub/api/users/${USER.name}`)).json()) as {
      servers: Record<string, { state?: string; details: { pid?: number } | null } | undefined>;
    };
    return m.servers[""];
  };
  const pid = (await state())?.details?.pid;
  expect(pid, "the REST API says where the server runs").toBeGreaterThan(1);
  // what outlives a server killed outright: a process its kernel started in a session of its own
  // (as a Dask cluster's workers may be), and the server's runtime dir
  const [leftPid, runtimeDir] = (
    await runCell(
      g,
      USER.name,
      "import os, subprocess\np = subprocess.Popen(['sleep', '600'], start_new_session=True)\nprint(p.pid, os.environ['JUPYTER_RUNTIME_DIR'])",
    )
  )
    .trim()
    .split(" ");
  expect(isAlive(Number(leftPid))).toBe(true);
  expect(existsSync(runtimeDir), runtimeDir).toBe(true);

  await login(page, g, USER.name, USER.password);
  const open = await page.goto(g.userUrl(USER.name, "api/status"));
  expect(open?.status()).toBe(200);

  process.kill(pid!, "SIGKILL");
  await expect.poll(() => isAlive(pid!), { timeout: 10_000 }).toBe(false);

  // another user hits the dead route first: refused by the proxy before the hub is asked anything
  const context = await browser.newContext();
  const stranger = await context.newPage();
  await login(stranger, g, "lee", "lee-password-e2e");
  const refused = await stranger.goto(g.userUrl(USER.name, "tree"));
  if (g.perUserOrigins) {
    // on the owner's origin the stranger has no session, and the hub will not hand one out
    await expect(stranger.getByTestId("origin-login-forbidden")).toBeVisible();
  } else {
    // 403 from the proxy
    expect(refused?.status()).toBe(403);
  }
  await expect(stranger.locator("body")).not.toContainText("SIGKILL");
  await context.close();
  expect((await state())?.state, "the hub has not noticed yet (its poll is hourly, and the stranger's request asked nothing)").toBe("running");

  const down = await page.goto(g.userUrl(USER.name, "tree"));
  expect(down?.status()).toBe(503);
  await expect(page.locator("main")).toContainText(`${USER.name}'s server has stopped. The server stopped: The server was killed by SIGKILL`);
  await expect(page.locator("main")).not.toContainText("may be starting or stopped");
  // the hub marked it stopped when the proxy asked, after clearing what it left
  expect(await state()).toBeUndefined();
  expect(isAlive(Number(leftPid)), "the kernel's process of its own is killed").toBe(false);
  expect(existsSync(runtimeDir), "the runtime dir (cookie secret, connection files) is removed").toBe(false);

  await page.getByRole("link", { name: "Start it again" }).click();
  await expect(page).toHaveURL(new RegExp(`/hub/spawn/${USER.name}`));
});

/** The process runs (a zombie nobody has reaped yet counts as gone, as it does for the hub). */
function isAlive(pid: number): boolean {
  try {
    // the state follows the command name in parentheses, which may itself hold ") "
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch {
    return false;
  }
}
