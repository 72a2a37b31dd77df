// What a setting is: one row of the table (settings.ts), and where its value came from.
import type { StateDirContext } from "../state-dir.js";
import type { Value } from "./values.js";

/** Where a value came from, for diagnostics ("config show", logs). */
export type Source = "flag" | "env" | "file" | "default";

export interface SettingDef<T> {
  env: string;
  /** Kebab-case flag name; null for secrets (argv is visible to other users of the machine). */
  flag: string | null;
  /** Never echoed in messages, registered with the logger's redaction. */
  secret?: boolean;
  /** Also readable from `${env}_FILE` (trimmed file content). */
  file?: boolean;
  /** Parses the raw string; its description is what is accepted, in words (errors and help). */
  schema: Value<T>;
  /** Used when neither flag nor environment sets it. */
  default: T | ((ctx: StateDirContext) => T);
  /** A URL by which clients reach this server: its host joins the HTTP Host allow-list. */
  namesThisServer?: boolean;
  /** The default as shown in help, when plain `String(default)` (or "none" for null) does not say it. */
  defaultText?: string;
  description: string;
}

export const def = <T>(d: SettingDef<T>): SettingDef<T> => d;
