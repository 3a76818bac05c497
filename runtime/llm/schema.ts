import { z } from 'zod';

/**
 * A tool's zod schema as the JSON Schema models read: the input side (defaults make fields optional), without
 * `$schema` and without zod's ±MAX_SAFE_INTEGER bounds, which are noise in a prompt.
 */
export function toolJsonSchema(schema: z.ZodType): Record<string, unknown> {
  // about 2 ms per tool set: computed once per schema, since every agent shares the same tools
  let json = computed.get(schema);
  if (!json) {
    const raw = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete raw.$schema;
    json = deepFreeze(prune(raw)) as Record<string, unknown>;
    computed.set(schema, json);
  }
  return json;
}

const computed = new WeakMap<z.ZodType, Record<string, unknown>>();

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if ((key === 'maximum' || key === 'minimum') && Math.abs(Number(inner)) === Number.MAX_SAFE_INTEGER)
      continue;
    out[key] = prune(inner);
  }
  return out;
}
