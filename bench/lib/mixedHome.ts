import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * A home like an agent's after some work, of about `totalBytes`: a source tree (many small text files), documents
 * and data (medium text), binaries (images, archives: incompressible), copies of some of those (vendored or copied
 * files: the same content twice), and a few large files (a dataset, a log, model weights, a packed archive).
 * Text compresses about 3 to 4 times with gzip, binaries not at all. Deterministic in sizes and layout.
 */
export interface MixedHome {
  /** Every file written, home-relative, with its kind (the large ones are not picked for edits). */
  files: { path: string; size: number; kind: Kind }[];
  bytes: number;
}

type Kind = 'source' | 'document' | 'binary' | 'copy' | 'large';

/** Share of the bytes of each kind, and a typical file size. */
const MIX: { kind: Exclude<Kind, 'large'>; share: number; typical: number }[] = [
  { kind: 'source', share: 0.25, typical: 8 * 1024 },
  { kind: 'document', share: 0.15, typical: 64 * 1024 },
  { kind: 'binary', share: 0.25, typical: 256 * 1024 },
  { kind: 'copy', share: 0.1, typical: 0 },
];
const LARGE = [
  { path: 'data/dataset.csv', text: true, share: 0.08 },
  { path: 'logs/agent.log', text: true, share: 0.04 },
  { path: 'models/weights.bin', text: false, share: 0.09 },
  { path: 'Downloads/archive.tar.zst', text: false, share: 0.04 },
];

const WORDS = (
  'const let return function import export class interface agent kernel snapshot habitat folder value step loop ' +
  'tool plan await async if else for while true false null undefined string number error result path file data ' +
  'the of and to in is that it for on with as this by from at be are was or an have not'
).split(' ');

/** A seeded generator (mulberry32): the same home every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Text like code and prose: words, punctuation, indentation, numbers; compresses like real text. */
function corpus(bytes: number, next: () => number): Buffer {
  const lines: string[] = [];
  let length = 0;
  while (length < bytes) {
    const indent = '  '.repeat(Math.floor(next() * 4));
    const words: string[] = [];
    for (let n = 3 + Math.floor(next() * 9); n > 0; n--) {
      const word = WORDS[Math.floor(next() * WORDS.length)]!;
      words.push(next() < 0.15 ? `${word}${Math.floor(next() * 1000)}` : word);
    }
    const line = `${indent}${words.join(next() < 0.3 ? '_' : ' ')}${next() < 0.5 ? ';' : ''}\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join(''));
}

/** `size` bytes of text, unique to `id`: a header, then a window of the corpus. */
function text(shared: Buffer, size: number, id: string, next: () => number): Buffer {
  const header = Buffer.from(`// ${id} ${next().toString(36).slice(2)}\n`);
  const start = Math.floor(next() * Math.max(1, shared.byteLength - size));
  const body = shared.subarray(start, start + Math.max(0, size - header.byteLength));
  const out = Buffer.concat([header, body]);
  // a file larger than the corpus repeats it, each round marked so it stays text-like and unique
  return out.byteLength >= size
    ? out.subarray(0, size)
    : Buffer.concat([out, text(shared, size - out.byteLength, `${id}+`, next)]);
}

export async function populateMixedHome(home: string, totalBytes: number, seed = 1): Promise<MixedHome> {
  const next = random(seed);
  const shared = corpus(Math.min(8 * 1024 * 1024, Math.max(256 * 1024, totalBytes / 16)), next);
  const files: MixedHome['files'] = [];
  const write = async (path: string, data: Buffer, kind: Kind) => {
    await mkdir(dirname(join(home, path)), { recursive: true });
    await writeFile(join(home, path), data);
    files.push({ path, size: data.byteLength, kind });
  };

  for (const large of LARGE) {
    const size = Math.floor(totalBytes * large.share);
    await write(large.path, large.text ? text(shared, size, large.path, next) : randomBytes(size), 'large');
  }
  const written: Record<string, { path: string; size: number }[]> = { source: [], document: [], binary: [] };
  for (const { kind, share, typical } of MIX) {
    let budget = totalBytes * share;
    for (let i = 0; budget > 0; i++) {
      if (kind === 'copy') {
        // a copy of an earlier file, elsewhere (vendored code, a downloaded file saved twice)
        const pool = written[next() < 0.4 ? 'source' : next() < 0.5 ? 'document' : 'binary']!;
        const original = pool[Math.floor(next() * pool.length)]!;
        const path = `vendor/lib${i % 41}/${i}-${original.path.split('/').at(-1)}`;
        await mkdir(dirname(join(home, path)), { recursive: true });
        await copyFile(join(home, original.path), join(home, path));
        files.push({ path, size: original.size, kind: 'copy' });
        budget -= original.size;
        continue;
      }
      // sizes spread from a tenth to twice the typical one
      const size = Math.max(1, Math.round(typical * (0.1 + next() * 1.9)));
      const path =
        kind === 'source'
          ? `projects/app${i % 7}/src/mod${i % 53}/file${i}.${['ts', 'py', 'rs', 'go'][i % 4]}`
          : kind === 'document'
            ? `Documents/${['notes', 'reports', 'data'][i % 3]}/doc${i}.${['md', 'json', 'csv'][i % 3]}`
            : `Pictures/set${i % 11}/image${i}.${['png', 'jpg', 'zip'][i % 3]}`;
      const data = kind === 'binary' ? randomBytes(size) : text(shared, size, path, next);
      await write(path, data, kind);
      written[kind]!.push({ path, size });
      budget -= size;
    }
  }
  return { files, bytes: files.reduce((n, f) => n + f.size, 0) };
}

/** Rewrites every 100th file that is not a large one with new content of the same size; returns their paths. */
export async function changeOnePercent(home: string, mixed: MixedHome, seed = 2): Promise<string[]> {
  const next = random(seed);
  const shared = corpus(256 * 1024, next);
  const picked = mixed.files.filter((f) => f.kind !== 'large').filter((_, i) => i % 100 === 50);
  for (const file of picked) {
    const data =
      file.kind === 'binary' ? randomBytes(file.size) : text(shared, file.size, `edit ${file.path}`, next);
    await writeFile(join(home, file.path), data);
  }
  return picked.map((f) => f.path);
}
