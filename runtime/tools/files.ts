import { z } from 'zod';
import { isHabitatError } from '../../shared/protocol/index.js';
import { assessPath } from '../approvals/index.js';
import { homeRelative } from './paths.js';
import { defineTool, type AgentHost, type Tool } from './types.js';

/** Characters of a file the model sees per read; it can page with offset. */
export const READ_MAX_CHARS = 64 * 1024;
const LIST_MAX = 500;

const path = z
  .string()
  .min(1)
  .max(4096)
  .describe("A path in your home, e.g. 'notes/todo.md' (relative to the home)");

const writeAssess = (args: { path: string }, host: AgentHost) =>
  assessPath(args.path, { homeAliases: host.homeAliases });

export const readFile = defineTool({
  name: 'read_file',
  description:
    'Read a text file in your home. Large files come in pages: pass offset (bytes) to read further.',
  parameters: z.object({
    path,
    offset: z.number().int().min(0).optional().describe('Byte offset to start at (default 0)'),
  }),
  harmless: true,
  async handler(args, ctx) {
    const result = await ctx.host.files.read(homeRelative(args.path, ctx.host), {
      offset: args.offset ?? 0,
      length: READ_MAX_CHARS,
    });
    const more = result.truncated
      ? `\n[file continues: ${result.size - result.offset - result.length} more bytes; read again with offset ${result.offset + result.length}]`
      : '';
    return {
      content: result.size === 0 ? '(the file is empty)' : result.content + more,
      data: {
        path: result.path,
        size: result.size,
        offset: result.offset,
        length: result.length,
        truncated: result.truncated,
      },
    };
  },
});

export const writeFile = defineTool({
  name: 'write_file',
  description:
    'Create or replace a text file in your home (missing folders are created). With append: true, add to the end instead.',
  parameters: z.object({
    path,
    content: z
      .string()
      .max(4 * 1024 * 1024)
      .describe('The text to write'),
    append: z.boolean().optional().describe('Add to the end of the file instead of replacing it'),
  }),
  assess: writeAssess,
  async handler(args, ctx) {
    const target = homeRelative(args.path, ctx.host);
    // an append adds bytes to the bytes there: a file that is not UTF-8 keeps what it has
    const content = args.append
      ? Buffer.concat([await bytesOrNone(ctx.host, target), Buffer.from(args.content)])
      : args.content;
    const entry = await ctx.host.files.write(target, content, { createParents: true });
    const bytes = Buffer.byteLength(args.content);
    return {
      content: `${args.append ? 'appended' : 'wrote'} ${bytes} bytes to ${entry.path} (now ${entry.size} bytes)`,
      data: { path: entry.path, size: entry.size, bytes, append: Boolean(args.append) },
    };
  },
});

export const editFile = defineTool({
  name: 'edit_file',
  description:
    'Replace text in a file in your home: find must match exactly once (or set all: true to replace every match).',
  parameters: z.object({
    path,
    find: z.string().min(1).describe('The exact text to replace'),
    replace: z.string().describe('The new text'),
    all: z.boolean().optional().describe('Replace every occurrence'),
  }),
  assess: writeAssess,
  async handler(args, ctx) {
    const target = homeRelative(args.path, ctx.host);
    const content = utf8Text(await bytesOf(ctx.host, target));
    if (content === undefined) {
      // decoding it would replace what is not UTF-8 with U+FFFD, and writing it back would lose those bytes
      return {
        content:
          `${target} is not UTF-8 text, so edit_file leaves it alone (an edit would corrupt its other bytes); ` +
          'change it with a command (sed, a script), or replace it whole with write_file',
        isError: true,
      };
    }
    const count = content.split(args.find).length - 1;
    if (count === 0)
      return {
        content: `${target}: the text to replace was not found; read the file and try again`,
        isError: true,
      };
    if (count > 1 && !args.all) {
      return {
        content: `${target}: the text to replace appears ${count} times; include more context or set all: true`,
        isError: true,
      };
    }
    const updated = args.all
      ? content.split(args.find).join(args.replace)
      : content.replace(args.find, () => args.replace);
    const entry = await ctx.host.files.write(target, updated);
    return {
      content: `replaced ${args.all ? count : 1} occurrence(s) in ${entry.path} (now ${entry.size} bytes)`,
      data: { path: entry.path, replaced: args.all ? count : 1, size: entry.size },
    };
  },
});

export const listFiles = defineTool({
  name: 'list_files',
  description: "List a folder in your home ('.' is the home itself). Folders end with '/'.",
  parameters: z.object({ path: path.optional().describe("The folder (default '.', the home)") }),
  harmless: true,
  async handler(args, ctx) {
    const result = await ctx.host.files.list(homeRelative(args.path ?? '.', ctx.host), { limit: LIST_MAX });
    const lines = result.entries.map((e) =>
      e.type === 'dir'
        ? `${e.name}/`
        : e.type === 'symlink'
          ? `${e.name} -> (link)`
          : `${e.name}  ${e.size} B`,
    );
    const header = `${result.path === '.' ? '~' : `~/${result.path}`}: ${result.entries.length} entr${result.entries.length === 1 ? 'y' : 'ies'}`;
    return {
      content: [
        header,
        ...lines,
        ...(result.truncated ? [`[more entries than the ${LIST_MAX} shown]`] : []),
      ].join('\n'),
      data: {
        path: result.path,
        entries: result.entries.map((e) => ({ name: e.name, type: e.type, size: e.size })),
        truncated: result.truncated,
      },
    };
  },
});

export const makeDirectory = defineTool({
  name: 'mkdir',
  description: 'Create a folder in your home, with any missing parents. An existing folder is fine.',
  parameters: z.object({ path }),
  assess: writeAssess,
  async handler(args, ctx) {
    const entry = await ctx.host.files.mkdir(homeRelative(args.path, ctx.host), { recursive: true });
    return { content: `folder ~/${entry.path} is ready`, data: { path: entry.path } };
  },
});

/** A file's bytes as they are, whatever their encoding. */
async function bytesOf(host: AgentHost, path: string): Promise<Buffer> {
  return Buffer.from((await host.files.read(path, { encoding: 'base64' })).content, 'base64');
}

/** A file's bytes, or none where there is no file yet. */
async function bytesOrNone(host: AgentHost, path: string): Promise<Buffer> {
  try {
    return await bytesOf(host, path);
  } catch (error) {
    if (isHabitatError(error) && error.code === 'E_NOT_FOUND') return Buffer.alloc(0);
    throw error;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as text when they are valid UTF-8 (a byte order mark kept), else undefined. */
function utf8Text(bytes: Buffer): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export const fileTools: Tool[] = [readFile, writeFile, editFile, listFiles, makeDirectory];
