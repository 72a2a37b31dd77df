// Wrong confirmation artefacts (unknown handles and tokens, tampered or foreign requestStates, ones
// issued to someone else) are counted per caller in a fixed window. Past the limit a caller's
// presentations are refused unread until the window ends, so guessing runs at a few per minute,
// not thousands per second. The audit gets counts, not a line per guess (see `worthAuditing`).

/** Wrong presentations a caller may make per window before being refused unread. */
export const GUESS_LIMIT = 10;
export const GUESS_WINDOW_MS = 60_000;

export interface GuessLimiter {
  /** Milliseconds until `caller` may present again; 0 when not limited. */
  blockedFor(caller: string, now: number): number;
  /** Counts one wrong presentation; returns the count in the current window. */
  fail(caller: string, now: number): number;
}

export function createGuessLimiter(limit = GUESS_LIMIT, windowMs = GUESS_WINDOW_MS): GuessLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const current = (caller: string, now: number) => {
    const w = windows.get(caller);
    if (w && now - w.start < windowMs) return w;
    // Ended windows are dropped as they are met, so the map holds only callers guessing now.
    for (const [k, v] of windows) if (now - v.start >= windowMs) windows.delete(k);
    return undefined;
  };
  return {
    blockedFor(caller, now) {
      const w = current(caller, now);
      return w && w.count >= limit ? w.start + windowMs - now : 0;
    },
    fail(caller, now) {
      const w = current(caller, now) ?? { start: now, count: 0 };
      w.count++;
      windows.set(caller, w);
      return w.count;
    },
  };
}

/** The first failure of a window and then each doubling: a trace of every burst, bounded in size. */
export function worthAuditing(count: number): boolean {
  return (count & (count - 1)) === 0;
}
