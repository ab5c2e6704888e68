/**
 * Waiting for a write quorum, not for every replica: a slow or hung ingester must not
 * hold every write up to the push timeout while the other replicas already have it.
 */

/**
 * Starts every task and resolves as soon as `decided()` is true after one of them
 * settled (the quorum is reached, or can no longer be), or when all have settled.
 * Tasks must not reject: they record their own outcome for `decided()` to read. The
 * ones still running when this resolves go on in the background.
 */
export function untilDecided(tasks: readonly (() => Promise<void>)[], decided: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    let left = tasks.length;
    if (left === 0) return resolve();
    for (const task of tasks) {
      void task().then(() => {
        left--;
        if (left === 0 || decided()) resolve();
      });
    }
  });
}
