// `node --import bench/loaded-files.mjs`: appends every module URL the process loads to $LOADED_LOG
// (bench/telemetry-off.ts reads which built files a start loaded). This file is both the preload, on
// the main thread, and the hooks Node runs off it.
import { appendFileSync } from "node:fs";
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";

if (isMainThread) register(import.meta.url);

export async function load(url, context, next) {
  appendFileSync(process.env.LOADED_LOG, url + "\n");
  return next(url, context);
}
