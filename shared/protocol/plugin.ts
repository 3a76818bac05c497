import { z } from 'zod';
import { command, event } from './define.js';
import { PidSchema } from './process.js';

export const PluginNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, underscore and dash');

export const PluginToolNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_]*$/, 'lowercase letters, digits and underscore, starting with a letter');

/** A file inside the plugin's folder: relative, no '..', no hidden tricks. */
const pluginFile = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/, 'a relative path inside the plugin')
  .refine((p) => !p.split('/').includes('..'), 'a relative path inside the plugin');

/**
 * What a plugin's parameters may use of JSON Schema. Manifests are untrusted and their arguments are checked on the
 * kernel's event loop, so only a subset whose checking is linear in the arguments is accepted: no regular
 * expressions (pattern, patternProperties: one like ^(a+)+$ takes exponential time), no references ($ref, $defs:
 * alternatives that point at alternatives multiply), no conditionals, and bounds on nesting, on alternatives and on
 * how many schemas one argument value can be checked against (the anyOf, oneOf and allOf branches, type lists and
 * mixed enums that apply to it, multiplied through nesting). A call's arguments are bounded in turn: at most
 * argumentChecks divided by that number of values, at most argumentDepth deep.
 */
export const PLUGIN_SCHEMA_LIMITS = {
  /** Subschemas inside subschemas. */
  depth: 16,
  /** Subschemas in one tool's parameters, all counted. */
  subschemas: 256,
  /** Branches of one anyOf, oneOf or allOf. */
  branches: 16,
  /** Values of one enum. */
  enumValues: 256,
  /** Schemas that one argument value may be checked against. */
  checksPerValue: 64,
  /** Characters of a default that is a string. */
  defaultLength: 1024,
  /**
   * What checking one call may cost: the values in its arguments (a string counts one more for every
   * argumentStringChars characters: a format is checked character by character) times its tool's checksPerValue.
   */
  argumentChecks: 32_768,
  argumentStringChars: 128,
  /** Levels of nesting in a call's arguments. */
  argumentDepth: 64,
} as const;

/** Formats whose checks are linear in the text (zod's, timed against adversarial input); OpenAPI's number formats. */
const SAFE_FORMATS = new Set([
  'date-time',
  'date',
  'time',
  'duration',
  'email',
  'uri',
  'uri-reference',
  'uuid',
  'hostname',
  'ipv4',
  'ipv6',
  'int32',
  'int64',
  'float',
  'double',
]);
const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);
const COUNTS = new Set(['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties']);
const NUMBERS = new Set(['minimum', 'maximum', 'multipleOf', 'exclusiveMinimum', 'exclusiveMaximum']);
const TEXTS = new Set(['title', 'description', '$comment']);
const FLAGS = new Set(['deprecated', 'readOnly', 'writeOnly', 'nullable']);
const REFUSED: Record<string, string> = {
  pattern: 'a regular expression can take exponential time to match; check the text in the handler',
  patternProperties:
    'a regular expression can take exponential time to match; check the names in the handler',
  $ref: 'references can make checking exponential; write the schema out in place',
  $defs: 'references can make checking exponential; write the schema out in place',
  definitions: 'references can make checking exponential; write the schema out in place',
  if: 'conditional schemas are not supported; check it in the handler',
  then: 'conditional schemas are not supported; check it in the handler',
  else: 'conditional schemas are not supported; check it in the handler',
  dependencies: 'conditional schemas are not supported; check it in the handler',
  dependentSchemas: 'conditional schemas are not supported; check it in the handler',
  dependentRequired: 'conditional schemas are not supported; check it in the handler',
};

type SchemaPath = (string | number)[];
export interface SchemaProblem {
  path: SchemaPath;
  message: string;
}
/** How many schemas one value is checked against where a subschema applies (own), and inside it (below). */
interface Fanout {
  own: number;
  below: number;
}
const fanout = (f: Fanout) => Math.max(f.own, f.below);
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isPrimitive = (v: unknown) =>
  v === null ||
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v));

/** Walks a tool's parameters once; every keyword outside the subset, and every bound passed, is a problem. */
class SubsetCheck {
  readonly problems: SchemaProblem[] = [];
  private subschemas = 0;

  problem(path: SchemaPath, message: string): void {
    if (this.problems.length < 10) this.problems.push({ path, message });
  }

  schema(node: unknown, path: SchemaPath, depth: number): Fanout {
    const none = { own: 1, below: 0 };
    if (++this.subschemas > PLUGIN_SCHEMA_LIMITS.subschemas) {
      if (this.subschemas === PLUGIN_SCHEMA_LIMITS.subschemas + 1)
        this.problem([], `at most ${PLUGIN_SCHEMA_LIMITS.subschemas} subschemas in a tool's parameters`);
      return none;
    }
    if (depth > PLUGIN_SCHEMA_LIMITS.depth) {
      this.problem(path, `subschemas nest at most ${PLUGIN_SCHEMA_LIMITS.depth} deep`);
      return none;
    }
    if (typeof node === 'boolean') return none;
    if (!isPlainObject(node)) {
      this.problem(path, 'a schema is an object (or true or false)');
      return none;
    }
    let own = 1;
    let below = 0;
    let children = 0; // the most that any one value inside gets from this subschema's own children
    const child = (sub: unknown, at: SchemaPath) => {
      children = Math.max(children, fanout(this.schema(sub, at, depth + 1)));
    };
    for (const [key, value] of Object.entries(node)) {
      const at = [...path, key];
      if (key.startsWith('x-') || key === 'examples') continue; // annotations nothing reads
      if (TEXTS.has(key)) {
        if (typeof value !== 'string') this.problem(at, `${key} is text`);
      } else if (FLAGS.has(key)) {
        if (typeof value !== 'boolean') this.problem(at, `${key} is true or false`);
      } else if (COUNTS.has(key)) {
        if (!Number.isSafeInteger(value) || (value as number) < 0) this.problem(at, `${key} is a count`);
      } else if (NUMBERS.has(key)) {
        const ok =
          (typeof value === 'number' && Number.isFinite(value) && (key !== 'multipleOf' || value > 0)) ||
          (key.startsWith('exclusive') && typeof value === 'boolean');
        if (!ok) this.problem(at, `${key} is ${key === 'multipleOf' ? 'a positive number' : 'a number'}`);
      } else if (key === '$schema') {
        if (depth > 0 || typeof value !== 'string') this.problem(at, '$schema is text, at the top only');
      } else if (key === 'type') {
        const types = Array.isArray(value) ? value : [value];
        if (
          types.length === 0 ||
          types.some((t) => typeof t !== 'string' || !TYPES.has(t)) ||
          new Set(types).size !== types.length
        ) {
          this.problem(at, `type is one of ${[...TYPES].join(', ')}, or a list of them without repeats`);
        } else own += types.length - 1; // a list is tried type by type
      } else if (key === 'enum') {
        if (
          !Array.isArray(value) ||
          value.length === 0 ||
          value.length > PLUGIN_SCHEMA_LIMITS.enumValues ||
          !value.every(isPrimitive)
        ) {
          this.problem(
            at,
            `enum is a list of 1 to ${PLUGIN_SCHEMA_LIMITS.enumValues} strings, numbers, booleans or nulls`,
          );
        } else if (!value.every((v) => typeof v === 'string')) own += value.length; // tried one by one
      } else if (key === 'const') {
        if (!isPrimitive(value)) this.problem(at, 'const is a string, number, boolean or null');
      } else if (key === 'default') {
        if (
          !isPrimitive(value) ||
          (typeof value === 'string' && value.length > PLUGIN_SCHEMA_LIMITS.defaultLength)
        )
          this.problem(
            at,
            `default is a number, boolean, null or a string of at most ${PLUGIN_SCHEMA_LIMITS.defaultLength} characters`,
          );
      } else if (key === 'format') {
        if (typeof value !== 'string' || !SAFE_FORMATS.has(value))
          this.problem(
            at,
            `format ${JSON.stringify(value)} is not allowed; it is one of ${[...SAFE_FORMATS].join(', ')}`,
          );
      } else if (key === 'required') {
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
          this.problem(at, 'required is a list of property names');
      } else if (key === 'properties') {
        if (!isPlainObject(value)) this.problem(at, 'properties maps names to schemas');
        else for (const [name, sub] of Object.entries(value)) child(sub, [...at, name]);
      } else if (key === 'additionalProperties' || key === 'additionalItems') {
        child(value, at);
      } else if (key === 'items' || key === 'prefixItems') {
        if (Array.isArray(value)) value.forEach((sub, i) => child(sub, [...at, i]));
        else if (key === 'items') child(value, at);
        else this.problem(at, 'prefixItems is a list of schemas');
      } else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') {
        if (!Array.isArray(value) || value.length === 0 || value.length > PLUGIN_SCHEMA_LIMITS.branches) {
          this.problem(at, `${key} is a list of 1 to ${PLUGIN_SCHEMA_LIMITS.branches} schemas`);
          continue;
        }
        value.forEach((sub, i) => {
          const branch = this.schema(sub, [...at, i], depth + 1);
          own += branch.own; // every branch may be tried on the same value
          below += branch.below;
        });
      } else {
        const why = REFUSED[key] ?? 'it is not in the subset of JSON Schema that plugins may use';
        this.problem(at, `${key} is not allowed in plugin parameters: ${why}`);
      }
    }
    return { own, below: below + children };
  }
}

/**
 * The problems of a tool's parameters (empty: none), and how many schemas one argument value can be checked
 * against at most (what bounds a call's arguments).
 */
export function checkPluginParameters(parameters: unknown): {
  problems: SchemaProblem[];
  checksPerValue: number;
} {
  const check = new SubsetCheck();
  const checksPerValue = fanout(check.schema(parameters, [], 0));
  if (checksPerValue > PLUGIN_SCHEMA_LIMITS.checksPerValue && check.problems.length === 0) {
    check.problem(
      [],
      `one argument value could be checked against ${checksPerValue} schemas (anyOf, oneOf, allOf, type lists ` +
        `and mixed enums multiply through nesting); at most ${PLUGIN_SCHEMA_LIMITS.checksPerValue}`,
    );
  }
  return { problems: check.problems, checksPerValue };
}

/**
 * Counts the values in a call's arguments (a string one more per argumentStringChars characters), stopping past
 * max; Infinity when they nest deeper than argumentDepth.
 */
function countValues(args: unknown, max: number): number {
  let count = 0;
  const stack: [unknown, number][] = [[args, 0]];
  while (stack.length > 0 && count <= max) {
    const [value, depth] = stack.pop()!;
    count++;
    if (typeof value === 'string')
      count += Math.floor(value.length / PLUGIN_SCHEMA_LIMITS.argumentStringChars);
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= PLUGIN_SCHEMA_LIMITS.argumentDepth) return Infinity;
    for (const item of Array.isArray(value) ? value : Object.values(value)) stack.push([item, depth + 1]);
  }
  return count;
}

/**
 * A tool's parameters as the zod schema that checks a call's arguments (zod's reading of the JSON Schema), after
 * the subset check (it throws on a problem) and behind a bound on the arguments' size, so a check costs at most
 * argumentChecks schema checks.
 */
export function pluginParametersSchema(
  parameters: Record<string, unknown>,
): z.ZodType<Record<string, unknown>> {
  const { problems, checksPerValue } = checkPluginParameters(parameters);
  if (problems.length > 0) {
    const [first] = problems;
    throw new Error(`${first!.path.join('.') || '(root)'}: ${first!.message}`);
  }
  const maxValues = Math.max(
    1,
    Math.floor(PLUGIN_SCHEMA_LIMITS.argumentChecks / Math.max(1, checksPerValue)),
  );
  const checked = z.fromJSONSchema(parameters as Parameters<typeof z.fromJSONSchema>[0], {
    registry: z.registry(), // annotations stay with this schema, not in zod's global registry
  });
  return z
    .unknown()
    .superRefine((args, ctx) => {
      const count = countValues(args, maxValues);
      if (count === Infinity)
        ctx.addIssue({
          code: 'custom',
          message: `arguments nest at most ${PLUGIN_SCHEMA_LIMITS.argumentDepth} deep`,
        });
      else if (count > maxValues)
        ctx.addIssue({
          code: 'custom',
          message:
            `at most ${maxValues} values in this tool's arguments ` +
            `(a string counts one more for every ${PLUGIN_SCHEMA_LIMITS.argumentStringChars} characters)`,
        });
    })
    .pipe(checked) as z.ZodType<Record<string, unknown>>;
}

/** A tool's parameters as a JSON Schema object (what models are given); the kernel checks arguments against it. */
export const JsonSchemaObjectSchema = z
  .object({ type: z.literal('object') })
  .catchall(z.unknown())
  .refine((schema) => JSON.stringify(schema).length <= 32_768, 'at most 32 KiB of schema')
  .superRefine((schema, ctx) => {
    for (const { path, message } of checkPluginParameters(schema).problems)
      ctx.addIssue({ code: 'custom', path, message });
  });

export const PluginToolSchema = z
  .object({
    name: PluginToolNameSchema,
    description: z.string().min(1).max(2000),
    parameters: JsonSchemaObjectSchema,
  })
  .strict();

/** ~/.config/plugins/<name>/manifest.json. */
export const PluginManifestSchema = z
  .object({
    name: PluginNameSchema,
    version: z
      .string()
      .max(64)
      .regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, 'a semantic version like 1.0.0'),
    description: z.string().min(1).max(2000),
    /**
     * The program that serves every tool, run inside the agent's sandbox: .py with python3, .sh with bash, any
     * other file directly (it must be executable). It reads {"tool","arguments"} as JSON on standard input (and
     * each top-level string, number or boolean argument as $HABITAT_ARG_<name>) and writes the result on standard
     * output (text, or JSON {"content","isError"}).
     */
    handler: pluginFile,
    tools: z.array(PluginToolSchema).min(1).max(32),
    /** A person approves each call before it runs (the agent runtime asks). */
    requiresApproval: z.boolean().default(false),
    /** Per call; the kernel caps it. */
    timeoutMs: z.number().int().min(100).max(300_000).default(30_000),
  })
  .strict();
export type PluginManifest = z.infer<typeof PluginManifestSchema>;

export const PluginInfoSchema = PluginManifestSchema.extend({
  /** Its folder, home-relative (.config/plugins/<name>). */
  path: z.string(),
});
export type PluginInfo = z.infer<typeof PluginInfoSchema>;

/** A plugin folder that could not be loaded: reported, never fatal. */
export const PluginErrorSchema = z.object({
  /** The folder's name under .config/plugins. */
  folder: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type PluginError = z.infer<typeof PluginErrorSchema>;

export const PluginListSchema = z.object({
  pid: PidSchema,
  plugins: z.array(PluginInfoSchema),
  errors: z.array(PluginErrorSchema),
});
export type PluginList = z.infer<typeof PluginListSchema>;

export const PluginRunResultSchema = z.object({
  content: z.string(),
  isError: z.boolean(),
  exitCode: z.number().int().nullable(),
  stderr: z.string(),
  timedOut: z.boolean(),
  truncated: z.boolean(),
  durationMs: z.number().nonnegative(),
});
export type PluginRunResult = z.infer<typeof PluginRunResultSchema>;

export const pluginCommands = {
  'plugin.list': command({
    description: "An agent's plugins from ~/.config/plugins, and the folders whose manifest is invalid.",
    args: z.object({ pid: PidSchema }).strict(),
    result: PluginListSchema,
  }),
  'plugin.install': command({
    description:
      "Copy a plugin folder (an absolute path on the kernel host) into the agent's ~/.config/plugins/<name>, " +
      'after validating its manifest. Symlinks and special files in it are refused.',
    args: z
      .object({
        pid: PidSchema,
        source: z
          .string()
          .min(1)
          .max(4096)
          .refine((p) => p.startsWith('/'), 'an absolute path on the host'),
        replace: z.boolean().default(false),
      })
      .strict(),
    result: PluginInfoSchema,
  }),
  'plugin.run': command({
    description:
      "Call a plugin tool: its handler runs inside the agent's own sandbox with the agent's privileges, a " +
      'timeout and an output cap, never in the kernel.',
    args: z
      .object({
        pid: PidSchema,
        plugin: PluginNameSchema,
        tool: PluginToolNameSchema,
        arguments: z.record(z.string(), z.unknown()).default({}),
      })
      .strict(),
    result: PluginRunResultSchema,
  }),
};

export const pluginEvents = {
  'plugin.changed': event({
    description: "An agent's plugins changed on disk and were loaded again.",
    payload: PluginListSchema,
    coalesceBy: 'pid',
  }),
};
