import type { Database, Statement } from 'better-sqlite3';

/**
 * Where a rollback becomes true. Its home swap is journalled on disk (see homeSwap) and its state changes
 * (conversation, mailbox) are rows in the kernel's database; the one transaction that writes those rows also writes
 * the journal's name here. So after a crash the journal alone cannot say whether the rollback happened, and this
 * can: a journal named here is finished at boot (the state went back), any other is undone (it did not).
 *
 * The table (rollback_commits) is created by the store's migrations; it holds at most the rollbacks under way, and
 * boot empties it once their journals are dealt with.
 */
export class RollbackLedger {
  private readonly sql: {
    mark: Statement<[string, number]>;
    find: Statement<[string], { journal: string }>;
    forget: Statement<[string]>;
    forgetAll: Statement<[]>;
  };

  constructor(private readonly db: Database) {
    this.sql = {
      mark: db.prepare('INSERT INTO rollback_commits (journal, at) VALUES (?, ?)'),
      find: db.prepare('SELECT journal FROM rollback_commits WHERE journal = ?'),
      forget: db.prepare('DELETE FROM rollback_commits WHERE journal = ?'),
      forgetAll: db.prepare('DELETE FROM rollback_commits'),
    };
  }

  /**
   * Runs `work` (synchronous writes to this database) and marks `journal` committed, in one transaction that is on
   * disk when this returns: the store otherwise syncs lazily (synchronous=NORMAL), and a commit that a power cut
   * could lose must not be followed by a journal that says the rollback is done. A throw rolls it all back.
   */
  commit(journal: string, work: () => void): void {
    const before = this.db.pragma('synchronous', { simple: true }) as number;
    this.db.pragma('synchronous = FULL');
    try {
      this.db.transaction(() => {
        work();
        this.sql.mark.run(journal, Date.now());
      })();
    } finally {
      this.db.pragma(`synchronous = ${before}`);
    }
  }

  committed(journal: string): boolean {
    return this.sql.find.get(journal) !== undefined;
  }

  /** Forgets one journal (its rollback is cleaned up), or with no name all of them (at boot, once recovered). */
  forget(journal?: string): void {
    if (journal === undefined) this.sql.forgetAll.run();
    else this.sql.forget.run(journal);
  }
}
