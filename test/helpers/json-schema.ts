// A small JSON Schema 2020-12 checker for the keywords our OpenAPI document
// uses. An unknown keyword is an error rather than silently ignored, so the
// checker cannot pass a document it does not understand.
type Schema = Record<string, unknown>;

const annotations = new Set(['description', 'default', 'title', 'examples', 'format']);
const understood = new Set([
  '$ref', 'type', 'properties', 'required', 'additionalProperties', 'propertyNames', 'items', 'enum', 'const',
  'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'anyOf', 'oneOf', 'allOf',
]);

const typeOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;

/** The errors of `value` against `schema`; `root` resolves "#/..." references. Empty when valid. */
export function validate(value: unknown, schema: Schema, root: Schema, path = '$'): string[] {
  for (const keyword of Object.keys(schema)) {
    if (!understood.has(keyword) && !annotations.has(keyword)) throw new Error(`the checker does not know the keyword ${keyword} (at ${path})`);
  }
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref.replace(/^#\//, '').split('/').reduce<unknown>((node, key) => (node as Schema | undefined)?.[key], root);
    if (!target) return [`${path}: unresolved $ref ${schema.$ref}`];
    return validate(value, target as Schema, root, path);
  }
  const errors: string[] = [];
  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!allowed.includes(actual) && !(actual === 'integer' && allowed.includes('number'))) return [`${path}: expected ${allowed.join('|')}, got ${actual}`];
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if ('const' in schema && schema.const !== value) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) errors.push(`${path}: does not match ${schema.pattern}`);
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => errors.push(...validate(item, schema.items as Schema, root, `${path}[${i}]`)));
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const name of (schema.required ?? []) as string[]) if (!(name in object)) errors.push(`${path}: missing ${name}`);
    for (const [name, item] of Object.entries(object)) {
      if (properties[name]) errors.push(...validate(item, properties[name], root, `${path}.${name}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property ${name}`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') errors.push(...validate(item, schema.additionalProperties as Schema, root, `${path}.${name}`));
      if (schema.propertyNames) errors.push(...validate(name, schema.propertyNames as Schema, root, `${path} property name ${name}`));
    }
  }
  if (schema.allOf) for (const part of schema.allOf as Schema[]) errors.push(...validate(value, part, root, path));
  if (schema.anyOf && !(schema.anyOf as Schema[]).some((part) => validate(value, part, root, path).length === 0)) errors.push(`${path}: matches none of anyOf`);
  if (schema.oneOf && (schema.oneOf as Schema[]).filter((part) => validate(value, part, root, path).length === 0).length !== 1) errors.push(`${path}: does not match exactly one of oneOf`);
  return errors;
}
