/**
 * Process entry: `node --import tsx node/main.ts [--port N] [--data-dir DIR] [--config FILE]`.
 * Serves /ready as 503 while the WAL replays, then 200. SIGINT/SIGTERM stop
 * gracefully (checkpoint, close the WAL).
 */
import { ConfigError } from './config-loader.ts';
import { loadConfig } from './config.ts';
import { FrankensteinNode } from './frankenstein.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError || err instanceof TypeError || err instanceof RangeError) {
      process.stderr.write(`frankenstein: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const node = new FrankensteinNode(config);
  const address = await node.listen();
  process.stderr.write(`frankenstein: listening on ${address}, data in ${config.dataDir}; replaying WAL\n`);
  const t0 = Date.now();
  await node.start();
  const st = node.ingester.stats();
  process.stderr.write(`frankenstein: ready in ${((Date.now() - t0) / 1000).toFixed(2)}s (${st.series} series in memory)\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal skips the rest of the graceful stop (e.g. the flush to the store): the WAL has everything.
      process.stderr.write(`frankenstein: ${signal} again, exiting now (the WAL keeps unflushed data)\n`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`frankenstein: ${signal}, shutting down${node.config.flush.flushOnShutdown ? ' (flushing memory to the store first; signal again to skip)' : ''}\n`);
    node.stop().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`frankenstein: shutdown failed: ${(err as Error).stack}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`frankenstein: fatal: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
