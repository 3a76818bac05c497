// A kernel that dies by SIGKILL in the middle of a rollback, for rollback.test.ts. Run as
//   node --import tsx rollbackCrash.ts DATA_DIR before-commit|in-transaction|after-commit
// It spawns an agent, gives it a file, a conversation and mail, snapshots it, changes all three, then rolls it back
// and kills itself at the point named: after the home swap but before the state's transaction, inside that
// transaction, or just after it committed. Before the rollback it prints one JSON line: {"pid":..,"snapshot":..}.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Kernel } from '../../Kernel.js';
import { RollbackLedger } from '../rollbackLedger.js';

const [dataDir, point] = process.argv.slice(2);
if (!dataDir || !['before-commit', 'in-transaction', 'after-commit'].includes(point ?? '')) {
  console.error('usage: rollbackCrash.ts DATA_DIR before-commit|in-transaction|after-commit');
  process.exit(2);
}

const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('still alive after SIGKILL');
};
const commit = RollbackLedger.prototype.commit;
RollbackLedger.prototype.commit = function (this: RollbackLedger, journal: string, work: () => void) {
  if (point === 'before-commit') die();
  if (point === 'in-transaction') {
    return commit.call(this, journal, () => {
      work();
      die();
    });
  }
  commit.call(this, journal, work);
  die();
};

const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'test', termGraceMs: 500 });
// the runtime's part stood in for: the conversation lives in the kernel's store, as the real runtime keeps it
kernel.snapshots.setAgentStateProvider({
  capture: (pid) => ({ conversation: kernel.store.messages(pid).map((entry) => entry.message) }),
  restore: () => {},
  rollback: (pid, state) => ({
    write: () => kernel.store.replaceMessages(pid, state.conversation ?? []),
    resume: () => {},
  }),
});
const agent = await kernel.processes.spawn({ name: 'crasher', network: false });
const home = kernel.processes.home(agent.pid);
await fsp.writeFile(join(home, 'Documents', 'state.txt'), 'as snapshotted');
kernel.store.replaceMessages(agent.pid, [{ role: 'user', content: 'the goal' }]);
const early = kernel.mailboxes.send({ to: agent.pid, body: 'read before the snapshot' });
kernel.mailboxes.ack(agent.pid, { ids: [early.id] });
const snapshot = await kernel.snapshots.create(agent.pid);

// the agent goes on: its file, its conversation and its mail change
await fsp.writeFile(join(home, 'Documents', 'state.txt'), 'changed after');
await fsp.writeFile(join(home, 'Documents', 'new.txt'), 'made after');
kernel.store.replaceMessages(agent.pid, [
  { role: 'user', content: 'the goal' },
  { role: 'assistant', content: 'a step after the snapshot' },
]);
const late = kernel.mailboxes.send({ to: agent.pid, body: 'read after the snapshot' });
kernel.mailboxes.ack(agent.pid, { ids: [late.id] });

console.log(JSON.stringify({ pid: agent.pid, snapshot: snapshot.id }));
await kernel.snapshots.rollback(agent.pid, snapshot.id);
console.error('the rollback finished without reaching the crash point');
process.exit(1);
