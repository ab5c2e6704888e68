/**
 * Lifeguard local health: a score that rises when our own probes go unanswered without nacks
 * (a sign that we, not the target, are slow or cut off) and falls with every successful probe.
 * Probe intervals and timeouts are multiplied by (score + 1), so a sick member accuses others less.
 */
export class Awareness {
  readonly #max: number;
  #score = 0;

  /** max: score ceiling is max - 1. */
  constructor(max: number) {
    this.#max = max;
  }

  get score(): number {
    return this.#score;
  }

  applyDelta(delta: number): void {
    this.#score = Math.min(this.#max - 1, Math.max(0, this.#score + delta));
  }

  scaleTimeout(ms: number): number {
    return ms * (this.#score + 1);
  }
}
