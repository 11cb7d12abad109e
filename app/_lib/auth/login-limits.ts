// Which counters a password login is counted under, and the limit of each. Pure.
//
// A login attempt counts against:
// - its user name from its client address (auth.loginAttemptsPerWindow): guessing one password
//   from one place stops quickly, and locks out only that address for that name;
// - its client address across all names (auth.loginAttemptsPerAddress, higher: an institute
//   behind one NAT address): spraying many names from one place;
// - its user name from every address (auth.loginAttemptsPerName) — except from a browser that
//   has logged in to that account before (a login-device cookie, signed by the hub): distributed
//   guessing is bounded, but an attacker with many addresses cannot lock the owner out of the
//   browser they use (the device's own counter has the per-address limit instead).
// IPv6 addresses are counted per /64: one host usually has a whole /64 to pick addresses from.
import ipaddr from "ipaddr.js";

/** One counter and how many attempts it allows per window. */
export interface LimitKey {
  key: string;
  limit: number;
}

/** auth.* limits (config/auth-section.ts). */
export interface LoginLimits {
  loginAttemptsPerWindow: number;
  loginAttemptsPerAddress: number;
  loginAttemptsPerName: number;
}

/** The counters of one attempt. `deviceId`: a valid login-device cookie of this very account, if any. */
export function loginLimitKeys(opts: { name: string; address: string; deviceId?: string | null; limits: LoginLimits }): LimitKey[] {
  const addr = addressKey(opts.address);
  const { loginAttemptsPerWindow: perPair, loginAttemptsPerAddress: perAddress, loginAttemptsPerName: perName } = opts.limits;
  return [
    { key: `login:pair:${opts.name}|${addr}`, limit: perPair },
    { key: `login:addr:${addr}`, limit: perAddress },
    opts.deviceId ? { key: `login:device:${opts.deviceId}`, limit: perPair } : { key: `login:name:${opts.name}`, limit: perName },
  ];
}

/** The counter a success clears: this name from this address (its own failures, not anyone else's). */
export function loginSuccessKey(name: string, address: string): string {
  return `login:pair:${name}|${addressKey(address)}`;
}

/**
 * The address as counted: IPv4 (also IPv4-mapped IPv6) as it is, IPv6 as its /64 prefix, anything
 * that does not parse as it was given (it is only a counter name).
 */
export function addressKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  let ip = ipaddr.parse(address);
  if (ip.kind() === "ipv6" && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (ip.kind() === "ipv4") return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4);
  return new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString() + "/64";
}
