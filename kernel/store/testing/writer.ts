// The victim of the crash test: opens a store and writes under load until it is killed, printing on stdout what
// the store acknowledged ("ack <lastSeq>") and which PIDs it allocated ("pid <n>"), so the test can check both after
// the kill. Usage: node --import tsx kernel/store/testing/writer.ts <database path>
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { Store } from '../index.js';

const path = process.argv[2];
if (!path) throw new Error('usage: writer.ts <database path>');

const store = Store.open(path);
store.onCommit((lastSeq) => process.stdout.write(`ack ${lastSeq}\n`));
process.stdout.write('ready\n');

const text = 'the agent listed its home folder and chose to read README.md next';
let pid = store.allocatePid();
process.stdout.write(`pid ${pid}\n`);
for (let round = 0; ; round++) {
  // Bursts of varying size and pauses: some commits come from a full batch, others from the interval timer.
  const burst = 1 + ((round * 7919) % 2_500);
  for (let i = 0; i < burst; i++) store.appendEvent(pid, 'agent.step', { round, i, text });
  if (round % 50 === 0) {
    pid = store.allocatePid();
    process.stdout.write(`pid ${pid}\n`);
  }
  if (round % 10 === 9) await sleep(15);
  else await yieldToLoop();
}
