/** A configuration problem; its message names the option. Hub and proxy exit with status 2 on it. */
export class ConfigError extends Error {
  name = "ConfigError";
}
