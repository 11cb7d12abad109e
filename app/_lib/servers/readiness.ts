// Readiness = the server answers its API with its token (GET <base>api/status → 200).
export async function probeServer(url: string, baseUrl: string, token: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(`${url}${baseUrl}api/status`, { headers: { authorization: `token ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}
