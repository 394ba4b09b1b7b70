// Lore's configuration: the environment (and CLI flag overrides) parsed once, with zod, at start-up.

export type { Config, ConfigOverrides } from "./config";
export { ConfigError, loadConfig } from "./config";
