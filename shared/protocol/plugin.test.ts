import { describe, expect, it } from 'vitest';
import {
  checkPluginParameters,
  PLUGIN_SCHEMA_LIMITS,
  PluginManifestSchema,
  pluginParametersSchema,
} from './plugin.js';

const manifest = (parameters: Record<string, unknown>) => ({
  name: 'probe',
  version: '1.0.0',
  description: 'a probe',
  handler: 'handler.py',
  tools: [{ name: 'go', description: 'go', parameters }],
});

/** The issues a manifest with these parameters gets, as 'path: message'. */
function refusals(parameters: Record<string, unknown>): string[] {
  const parsed = PluginManifestSchema.safeParse(manifest(parameters));
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

/** Milliseconds a call takes. */
function timed(run: () => unknown): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

const nested = (depth: number, leaf: unknown): unknown =>
  depth === 0 ? leaf : { type: 'object', properties: { a: nested(depth - 1, leaf) } };

// A manifest is untrusted and its tools' arguments are checked on the kernel's event loop: the parameters are held
// to a subset of JSON Schema whose checking is linear in the arguments.
describe('plugin parameters', () => {
  it('refuses a regular expression: ^(a+)+$ froze the kernel for seconds on 32 characters', () => {
    const redos = { type: 'object', properties: { q: { type: 'string', pattern: '^(a+)+$' } } };
    expect(refusals(redos)).toEqual([
      expect.stringMatching(
        /^tools\.0\.parameters\.properties\.q\.pattern: pattern is not allowed .*regular expression/,
      ),
    ]);
    expect(() => pluginParametersSchema(redos)).toThrow(/properties\.q\.pattern: pattern is not allowed/);
    expect(refusals({ type: 'object', patternProperties: { '^(a+)+$': { type: 'string' } } })).toEqual([
      expect.stringMatching(/parameters\.patternProperties: patternProperties is not allowed/),
    ]);
  });

  it('refuses references: 1.3 KB of $defs alternatives took 10 s to check', () => {
    const defs: Record<string, unknown> = {};
    for (let i = 0; i < 20; i++)
      defs[`a${i}`] = { anyOf: [{ $ref: `#/$defs/a${i + 1}` }, { $ref: `#/$defs/a${i + 1}` }] };
    defs.a20 = { type: 'string', minLength: 5 };
    const bomb = { type: 'object', $defs: defs, properties: { q: { $ref: '#/$defs/a0' } } };
    let found: string[] = [];
    // (bounds far above a loaded machine's time, far below the attack's)
    expect(timed(() => (found = refusals(bomb)))).toBeLessThan(2000);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tools\.0\.parameters\.\$defs: \$defs is not allowed .*references/),
        expect.stringMatching(/^tools\.0\.parameters\.properties\.q\.\$ref: \$ref is not allowed/),
      ]),
    );
    expect(refusals({ type: 'object', properties: { a: { $ref: '#' } } })).toEqual([
      expect.stringMatching(/properties\.a\.\$ref: \$ref is not allowed/),
    ]);
    expect(refusals({ type: 'object', definitions: {} })).toEqual([
      expect.stringMatching(/parameters\.definitions: definitions is not allowed/),
    ]);
  });

  it('refuses what is outside the subset, naming the keyword where it is', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ type: 'object', if: {} }, /parameters\.if: if is not allowed .*conditional/],
      [
        { type: 'object', dependencies: { a: ['b'] } },
        /parameters\.dependencies: dependencies is not allowed/,
      ],
      [{ type: 'object', properties: { a: { not: {} } } }, /properties\.a\.not: not is not allowed/],
      [
        { type: 'object', properties: { a: { type: 'array', uniqueItems: true } } },
        /a\.uniqueItems: uniqueItems/,
      ],
      [{ type: 'object', id: 'x' }, /parameters\.id: id is not allowed/],
      [{ type: 'object', properties: { a: { type: 'string', format: 'jwt' } } }, /a\.format: format "jwt"/],
      [{ type: 'object', properties: { a: { type: ['string', 'string'] } } }, /a\.type: type is one of/],
      [{ type: 'object', properties: { a: { enum: [{}] } } }, /a\.enum: enum is a list/],
      [{ type: 'object', properties: { a: { default: { big: [] } } } }, /a\.default: default is/],
      [{ type: 'object', properties: { a: 'string' } }, /properties\.a: a schema is an object/],
      [{ type: 'object', properties: { a: { anyOf: [] } } }, /a\.anyOf: anyOf is a list of 1 to 16/],
      [
        { type: 'object', properties: { a: { oneOf: Array.from({ length: 17 }, () => ({})) } } },
        /a\.oneOf: oneOf is a list of 1 to 16/,
      ],
      [
        nested(17, { type: 'string' }) as Record<string, unknown>,
        /(properties\.a\.){16}properties\.a: subschemas nest at most 16 deep/,
      ],
      [
        {
          type: 'object',
          properties: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`p${i}`, {}])),
        },
        /^tools\.0\.parameters: at most 256 subschemas/,
      ],
      [
        // 8 alternatives of 8 alternatives: one value tried against 73 schemas
        {
          type: 'object',
          properties: {
            a: { anyOf: Array.from({ length: 8 }, () => ({ anyOf: Array(8).fill({ type: 'string' }) })) },
          },
        },
        /^tools\.0\.parameters: one argument value could be checked against 73 schemas/,
      ],
    ];
    for (const [parameters, expected] of cases) {
      const found = refusals(parameters);
      expect(found, JSON.stringify(parameters).slice(0, 200)).toEqual([expect.stringMatching(expected)]);
    }
  });

  it('accepts what plugins declare: types, bounds, enums, formats, nesting and a few alternatives', () => {
    const parameters = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      title: 'Search',
      properties: {
        query: { type: 'string', minLength: 1, maxLength: 200, description: 'what to look for' },
        mode: { type: 'string', enum: ['fast', 'thorough'], default: 'fast' },
        limit: { type: 'integer', minimum: 1, maximum: 100, format: 'int32' },
        since: { type: 'string', format: 'date-time' },
        site: { anyOf: [{ type: 'string', format: 'uri' }, { type: 'null' }] },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 10 },
        point: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }], items: false },
        filter: {
          type: 'object',
          properties: { field: { type: 'string' }, value: { type: ['string', 'number', 'boolean'] } },
          required: ['field'],
          additionalProperties: false,
          'x-ui': { widget: 'filter' },
        },
      },
      required: ['query'],
      additionalProperties: false,
      examples: [{ query: 'x' }],
    };
    expect(refusals(parameters)).toEqual([]);
    const schema = pluginParametersSchema(parameters);
    expect(schema.safeParse({ query: 'cats', site: null, filter: { field: 'a', value: 2 } })).toMatchObject({
      success: true,
      data: { query: 'cats', mode: 'fast' },
    });
    for (const bad of [
      {},
      { query: '' },
      { query: 'x', mode: 'slow' },
      { query: 'x', limit: 1.5 },
      { query: 'x', since: 'yesterday' },
      { query: 'x', filter: { value: 1 } },
      { query: 'x', extra: true },
    ])
      expect(schema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    // and the sample plugin's
    expect(
      refusals({
        type: 'object',
        properties: { text: { type: 'string' }, path: { type: 'string' } },
        additionalProperties: false,
      }),
    ).toEqual([]);
  });

  it('checks a large argument against a deep schema quickly, and bounds the arguments by what the schema costs', () => {
    // as deep as allowed, with alternatives near the most one value may be checked against at every level
    const leaf = { type: 'array', items: { anyOf: Array(15).fill({ type: 'string', format: 'email' }) } };
    const deep = nested(14, leaf) as Record<string, unknown>;
    const { problems, checksPerValue } = checkPluginParameters(deep);
    expect(problems).toEqual([]);
    expect(checksPerValue).toBe(16);
    const schema = pluginParametersSchema(deep);
    const maxValues = Math.floor(PLUGIN_SCHEMA_LIMITS.argumentChecks / checksPerValue);
    const wrap = (value: unknown, depth: number): unknown =>
      depth === 0 ? value : { a: wrap(value, depth - 1) };
    // every item fails every alternative, the slowest way through: numbers, and long emails wrong at their end
    // (a string counts one value more per 128 characters, 32 here)
    const email = `${'a.'.repeat(2000)}@example.com!`;
    const items = [...Array<string>(40).fill(email), ...Array<number>(maxValues - 40 * 32 - 40).fill(7)];
    let result: { success: boolean } = { success: true };
    const ms = timed(() => (result = schema.safeParse(wrap(items, 14))));
    console.log(
      `[plugin parameters] ${items.length} values, ${checksPerValue} checks each: ${ms.toFixed(0)} ms`,
    );
    expect(result.success).toBe(false);
    expect(ms).toBeLessThan(5000);
    const valid = Array<string>(maxValues - 20).fill('someone@example.com');
    expect(schema.safeParse(wrap(valid, 14)).success).toBe(true);

    // more values than that are refused before zod walks them, and so is an argument nested past the bound
    const tooMany = schema.safeParse(wrap(Array(maxValues).fill('someone@example.com'), 14));
    expect(tooMany.success).toBe(false);
    expect(tooMany.error?.issues[0]?.message).toMatch(`at most ${maxValues} values in this tool's arguments`);
    const tooLong = schema.safeParse(wrap(['x'.repeat(maxValues * 128)], 14));
    expect(tooLong.error?.issues[0]?.message).toMatch(
      /at most \d+ values .*one more for every 128 characters/,
    );
    const simple = pluginParametersSchema({ type: 'object', properties: { a: {} } });
    const deepArgument = wrap(1, PLUGIN_SCHEMA_LIMITS.argumentDepth + 1);
    expect(simple.safeParse(deepArgument).error?.issues[0]?.message).toMatch(/nest at most 64 deep/);
    expect(simple.safeParse(wrap(1, 10)).success).toBe(true);
    // a simple schema takes many values
    const list = pluginParametersSchema({
      type: 'object',
      properties: { a: { type: 'array', items: { type: 'number' } } },
    });
    expect(list.safeParse({ a: Array(30_000).fill(1) }).success).toBe(true);
    expect(list.safeParse({ a: Array(40_000).fill(1) }).success).toBe(false);
  });
});
