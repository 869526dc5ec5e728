// Entry point of the `gigafactory` launcher.
import { main } from './program.ts';

// A reader that went away (`gigafactory job X | head`) is the end of the output, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv.slice(2));
