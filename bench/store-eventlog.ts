import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../kernel/store/index.js';
import { summarize } from './lib/stats.js';
import { elapsedNs, now, nsToMs, perSecond } from './lib/time.js';
import { slowdown, type BenchResult, type Metric } from './lib/types.js';

export const name =
  'store event log: batched writer vs one raw transaction; latest 500 of one agent at 5M rows';

const INSERT_ROUNDS = 3; // alternating which side goes first, so drift in machine load hits both
const INSERTS_PER_ROUND = 300_000;
const INSERT_PIDS = 100;
const BIG_ROWS = 5_000_000;
const BIG_PIDS = 1_000;
const LATEST = 500;
const WARMUP_QUERIES = 20;
const QUERIES = 200;
const QUERY_ROUNDS = 2;
/** The aims: at least 100,000 inserts/s through the writer, at most 5 ms for the latest 500 (taken at p99). */
const AIM_INSERTS_PER_SEC = 100_000;
const AIM_LATEST_MS = 5;

const TEXT = 'the agent listed its home folder and chose to read README.md next';

/** The same pragmas the store sets, so the raw reference runs under the same durability and cache settings. */
function rawConnection(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('cache_size = -16384');
  return db;
}

/** A database file with the store's schema and nothing in it. */
function emptyDatabase(path: string): void {
  Store.open(path).close();
}

/** Deterministic pseudo-random integers in [0, n): every run queries the same pids. */
function seededRandom(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return Math.floor((state / 2 ** 32) * n);
  };
}

/** Events through the store's batched writer, from the first append until the last one is committed. */
function writerInserts(path: string, payloads: object[]): { ns: number; commits: number } {
  const store = Store.open(path);
  let commits = 0;
  store.onCommit(() => commits++);
  const start = now();
  for (let i = 0; i < payloads.length; i++) {
    store.appendEvent(1 + (i % INSERT_PIDS), 'agent.step', payloads[i]);
  }
  store.flush();
  const ns = elapsedNs(start);
  store.close();
  return { ns, commits };
}

/** The floor: the same rows, serialized the same way, in one transaction through one prepared statement. */
function rawInserts(path: string, payloads: object[]): number {
  const db = rawConnection(path);
  const insert = db.prepare('INSERT INTO events (seq, pid, type, at, payload) VALUES (?, ?, ?, ?, ?)');
  const start = now();
  db.transaction(() => {
    for (let i = 0; i < payloads.length; i++) {
      insert.run(i + 1, 1 + (i % INSERT_PIDS), 'agent.step', Date.now(), JSON.stringify(payloads[i]));
    }
  })();
  const ns = elapsedNs(start);
  db.close();
  return ns;
}

/**
 * BIG_ROWS events spread over BIG_PIDS agents in a fixed shuffle, as a long-running kernel would have interleaved
 * them: one INSERT ... SELECT over a recursive counter, so SQLite generates the rows without a call per row.
 */
function generateBigLog(path: string): number {
  const db = rawConnection(path);
  db.pragma('cache_size = -262144'); // 256 MiB: the transaction's dirty pages stay in memory until the commit
  const insert = db.prepare(`
    WITH RECURSIVE counter (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM counter WHERE seq < @rows)
    INSERT INTO events (seq, pid, type, at, payload)
    SELECT seq, (seq * 2654435761) % 4294967296 % @pids + 1, 'agent.step', @base + seq,
           json_object('step', seq, 'phase', 'thinking', 'text', @text)
    FROM counter`);
  const start = now();
  db.transaction(() =>
    insert.run({ rows: BIG_ROWS, pids: BIG_PIDS, base: Date.parse('2025-01-01T00:00:00.000Z'), text: TEXT }),
  )();
  const ns = elapsedNs(start);
  db.close();
  return ns;
}

/**
 * Times each query into `into` from `offset`, after unrecorded warm-up queries (each pass opens a fresh connection,
 * whose page cache starts cold); throws if a query returns the wrong count.
 */
function timeQueries(
  pids: number[],
  into: Float64Array,
  offset: number,
  query: (pid: number) => unknown[],
): void {
  const random = seededRandom(7);
  for (let i = 0; i < WARMUP_QUERIES; i++) query(1 + random(BIG_PIDS));
  pids.forEach((pid, i) => {
    const start = now();
    const rows = query(pid);
    into[offset + i] = nsToMs(elapsedNs(start));
    if (rows.length !== LATEST) throw new Error(`pid ${pid}: ${rows.length} events, expected ${LATEST}`);
  });
}

/** The reference: the store's query through a bare prepared statement, rows as SQLite returns them. */
function rawQueries(path: string, pids: number[], into: Float64Array, offset: number): void {
  const db = rawConnection(path);
  const select = db.prepare<[number, number], unknown>(
    'SELECT seq, pid, type, at, payload FROM events WHERE pid IS ? ORDER BY seq DESC LIMIT ?',
  );
  timeQueries(pids, into, offset, (pid) => select.all(pid, LATEST).reverse());
  db.close();
}

/** Store.latestEvents; returns how long Store.open took, in ms. */
function storeQueries(path: string, pids: number[], into: Float64Array, offset: number): number {
  const start = now();
  const store = Store.open(path);
  const openMs = nsToMs(elapsedNs(start));
  try {
    timeQueries(pids, into, offset, (pid) => store.latestEvents(pid, LATEST));
  } finally {
    store.close();
  }
  return openMs;
}

export async function run(): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'habitat-bench-store-'));
  try {
    // (a) inserts
    const payloads = Array.from({ length: INSERTS_PER_ROUND }, (_, i) => ({
      step: i,
      phase: 'thinking',
      text: TEXT,
    }));
    let writerNs = 0;
    let rawNs = 0;
    let commits = 0;
    for (let round = 0; round < INSERT_ROUNDS; round++) {
      const writerPath = join(dir, `writer-${round}.db`);
      const rawPath = join(dir, `raw-${round}.db`);
      emptyDatabase(writerPath);
      emptyDatabase(rawPath);
      const measureWriter = () => {
        const result = writerInserts(writerPath, payloads);
        writerNs += result.ns;
        commits += result.commits;
      };
      const measureRaw = () => (rawNs += rawInserts(rawPath, payloads));
      if (round % 2 === 0) {
        measureWriter();
        measureRaw();
      } else {
        measureRaw();
        measureWriter();
      }
      await rm(writerPath, { force: true });
      await rm(rawPath, { force: true });
    }
    const totalInserts = INSERT_ROUNDS * INSERTS_PER_ROUND;
    const writerPerSec = perSecond(totalInserts, writerNs);
    const rawPerSec = perSecond(totalInserts, rawNs);

    // (b) the latest 500 of one agent among 5M rows
    const bigPath = join(dir, 'big.db');
    emptyDatabase(bigPath);
    const generateNs = generateBigLog(bigPath);
    const bigBytes = (await stat(bigPath)).size;
    const random = seededRandom(1);
    const pids = Array.from({ length: QUERIES }, () => 1 + random(BIG_PIDS));

    // Alternating passes, each in its own connection: the store holds the file exclusively while it is open.
    const rawMs = new Float64Array(QUERIES);
    const storeMs = new Float64Array(QUERIES);
    const perRound = QUERIES / QUERY_ROUNDS;
    let openMs = 0;
    for (let round = 0; round < QUERY_ROUNDS; round++) {
      const offset = round * perRound;
      const slice = pids.slice(offset, offset + perRound);
      const passes = [
        () => rawQueries(bigPath, slice, rawMs, offset),
        () => (openMs = Math.max(openMs, storeQueries(bigPath, slice, storeMs, offset))),
      ];
      for (const pass of round % 2 === 0 ? passes : passes.reverse()) pass();
    }
    const rawLatency = summarize(rawMs);
    const storeLatency = summarize(storeMs);

    const versus = (
      metric: string,
      unit: string,
      value: number,
      reference: number,
      better: 'lower' | 'higher',
    ) =>
      ({ name: metric, unit, value, reference, ratio: slowdown(value, reference, better) }) satisfies Metric;
    const inserts = versus('inserts/s, batched writer', 'rows/s', writerPerSec, rawPerSec, 'higher');
    const p50 = versus('latest 500 of 1 pid, p50', 'ms', storeLatency.p50, rawLatency.p50, 'lower');
    const p99 = versus('latest 500 of 1 pid, p99', 'ms', storeLatency.p99, rawLatency.p99, 'lower');

    return {
      reference:
        'inserts: raw better-sqlite3, the same rows in one transaction through one prepared statement; ' +
        'latest 500: the same query through a bare prepared statement (payloads left as JSON text)',
      metrics: [
        { ...inserts, aimAtLeast: AIM_INSERTS_PER_SEC },
        p50,
        { ...p99, aimAtMost: AIM_LATEST_MS },
        {
          name: `generate ${BIG_ROWS / 1e6}M rows (one INSERT ... SELECT)`,
          unit: 's',
          value: generateNs / 1e9,
        },
        { name: 'Store.open at 5M rows (slowest)', unit: 'ms', value: openMs },
      ],
      notes: [
        `inserts: ${INSERT_ROUNDS} alternating rounds of ${INSERTS_PER_ROUND.toLocaleString('en-US')} events over ` +
          `${INSERT_PIDS} pids, each side on a fresh database (WAL, synchronous=NORMAL); the writer committed in ` +
          `${commits.toLocaleString('en-US')} transactions (batches of up to 1,000) and its figure runs until the ` +
          'last one is committed; both sides serialize each payload with JSON.stringify',
        `latest 500: ${QUERIES} queries over random pids in ${QUERY_ROUNDS} alternating passes, each after ` +
          `${WARMUP_QUERIES} warm-up queries, ` +
          `${BIG_ROWS.toLocaleString('en-US')} rows over ${BIG_PIDS.toLocaleString('en-US')} pids ` +
          `(${(bigBytes / 2 ** 20).toFixed(0)} MiB database); the store parses each payload and returns records ` +
          `oldest first; p50 ${storeLatency.p50.toFixed(2)} ms, p99 ${storeLatency.p99.toFixed(2)} ms, mean ` +
          `${storeLatency.mean.toFixed(2)} ms`,
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
