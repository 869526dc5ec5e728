/**
 * scripts/pg-temp.sh: runs a throwaway PostgreSQL server (./pg-temp.ts) in the foreground and
 * prints its URL, for trying `gigafactory up --store` by hand. Ctrl-C stops it and deletes
 * its data. `--durable` keeps fsync on.
 */
import { startTempPostgres } from './pg-temp.ts';

const durable = process.argv.includes('--durable');
const pg = await startTempPostgres({ durable });
process.stdout.write(`PostgreSQL ${durable ? '(fsync on) ' : '(fsync off: survives a crash of the server, not a power cut) '}running; data in ${pg.dir}\n`
  + `  export GIGAFACTORY_STORE='${pg.url}'\n  ./gigafactory up --store '${pg.url}'\nCtrl-C stops it and deletes its data.\n`);
await new Promise<void>((done) => {
  const stop = () => { void pg.stop().then(done); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Keep the process alive until a signal (the server itself is unref'd).
  setInterval(() => undefined, 1 << 30);
});
process.exit(0);
