// The settings table as words: --help's text and the README's markdown table (scripts/sync-readme.mjs).
import { settingEntries, type SettingDef } from "./settings.js";
import { acceptedText } from "./values.js";

export interface SettingHelp {
  env: string;
  /** Also read from this variable (a file path), when the setting supports it. */
  fileEnv: string | null;
  flag: string | null;
  secret: boolean;
  default: string;
  accepted: string;
  description: string;
}

/** How help shows a setting's default. */
export function defaultText(s: SettingDef<unknown>): string {
  if (s.defaultText !== undefined) return s.defaultText;
  if (s.default === null) return "none";
  if (typeof s.default === "function") throw new Error(`${s.env} computes its default: give defaultText`);
  return String(s.default);
}

/** The settings table as plain rows, for --help and the README. */
export function settingsHelp(): SettingHelp[] {
  return settingEntries().map(([, s]) => ({
    env: s.env,
    fileEnv: s.file ? `${s.env}_FILE` : null,
    flag: s.flag ? `--${s.flag}` : null,
    secret: Boolean(s.secret),
    default: defaultText(s),
    accepted: acceptedText(s.schema),
    description: s.description,
  }));
}

/** settingsHelp() as the README's markdown table (scripts/sync-readme.mjs writes it; prettier aligns it). */
export function settingsMarkdown(): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  const code = (name: string | null) => (name ? `\`${name}\`` : "");
  const rows = settingsHelp().map((h) => {
    const names = [h.env, h.fileEnv].filter(Boolean).map(code).join(", ");
    return `| ${names} | ${h.flag ? code(h.flag) : "(env only)"} | ${cell(h.description)} | ${cell(h.accepted)} | ${cell(h.default)} |`;
  });
  return [
    "| variable | flag | meaning | accepted | default |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

/** settingsHelp() as aligned text lines for --help. */
export function formatSettingsHelp(): string {
  return settingsHelp()
    .map((h) => {
      const names = [h.flag, h.env, h.fileEnv].filter(Boolean).join(", ");
      return `  ${names}\n      ${h.description} Accepted: ${h.accepted}. Default: ${h.default}.`;
    })
    .join("\n");
}
