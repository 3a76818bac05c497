import { z } from 'zod';

/**
 * A tool's zod schema as the JSON Schema models read: the input side (defaults make fields optional), without
 * `$schema` and without zod's ±MAX_SAFE_INTEGER bounds, which are noise in a prompt.
 */
export function toolJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return prune(json) as Record<string, unknown>;
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
