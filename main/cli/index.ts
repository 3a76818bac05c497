import { runCli } from './program.js';

// Entry point of the `habitat` bin (built to out/main/cli.js).
// Once a verb is done the process ends, whatever connection a library still holds open (a Docker engine can keep an
// exec's stream open for minutes), after what was written has been flushed.
const exit = (code: number): void => {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
};
runCli(process.argv.slice(2)).then(exit, (error: unknown) => {
  process.stderr.write(`habitat: E_INTERNAL: ${error instanceof Error ? error.message : String(error)}\n`);
  exit(1);
});
