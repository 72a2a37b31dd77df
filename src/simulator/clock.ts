// The simulator clock: real time flowing from a chosen start, plus whatever the control API has advanced.

export class SimClock {
  private readonly realStart = Date.now();
  private offsetMs = 0;

  constructor(readonly startMs: number) {}

  now(): number {
    return this.startMs + (Date.now() - this.realStart) + this.offsetMs;
  }

  /** Moves the clock forward (never back, so creation order stays time order). */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError("the clock only moves forward: ms must be ≥ 0");
    this.offsetMs += ms;
    return this.now();
  }

  reset(): void {
    this.offsetMs = 0;
  }
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
