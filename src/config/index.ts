// Configuration: every setting is one row in settings.ts (variable, flag, schema, default,
// description); values.ts holds the schemas and what each accepts, rules.ts the rules across
// settings, load.ts reads and checks them all at once, help.ts words them for --help and the README.
export {
  ConfigError,
  loadConfig,
  loadSettings,
  type Config,
  type ConfigIssue,
  type LoadConfigOptions,
  type TelemetryConfig,
} from "./load.js";
export { SETTINGS, type Source } from "./settings.js";
export { WITHDRAWAL_TOOL } from "./rules.js";
export { LOOPBACK_HOSTS } from "./values.js";
export { formatSettingsHelp, settingsHelp, settingsMarkdown, type SettingHelp } from "./help.js";
// Decided in state-dir.ts (the stdio front finds the state directory without loading this module).
export { defaultStateDir, effectiveStateDir } from "../state-dir.js";
