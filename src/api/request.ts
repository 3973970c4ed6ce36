/**
 * Reads the parts of a request through its route's schemas: path, query, headers and body, every
 * bad field named at once (VALIDATION_FAILED). The router reads HTTP requests with it, and the CLI
 * checks what it is about to send, so both refuse the same input with the same words.
 */
import type * as z from 'zod';
import { checkFields, FieldError, validationFailed } from '../domain/errors';
import type { Contract } from './route';

type Values = Record<string, unknown>;

export interface RequestParts {
  params?: Values;
  /** A parameter given more than once comes as a list. */
  query?: Values;
  /** By lower-case name, as Node gives them. */
  headers?: Values;
  body?: unknown;
}

export interface RequestInput {
  params: unknown;
  query: unknown;
  headers: unknown;
  body: unknown;
}

export function readRequest(route: Contract, parts: RequestParts): RequestInput {
  const input: RequestInput = { params: undefined, query: undefined, headers: undefined, body: undefined };
  const errors: FieldError[] = [];
  const read = (part: 'params' | 'query' | 'headers', schema: z.ZodObject | undefined, given: (name: string) => unknown) => {
    if (!schema) return;
    const values: Values = {};
    for (const name of Object.keys(schema.shape)) {
      const value = given(name);
      // A parameter given twice (?limit=1&limit=2) is refused rather than guessed at.
      if (Array.isArray(value)) errors.push({ field: name, message: 'must be given once' });
      else values[name] = value;
    }
    const checked = checkFields(schema, values, part);
    if (checked.ok) input[part] = checked.value;
    else errors.push(...checked.errors);
  };
  read('params', route.params, (name) => parts.params?.[name]);
  read('query', route.query, (name) => parts.query?.[name]);
  read('headers', route.headers, (name) => parts.headers?.[name.toLowerCase()]);
  if (route.body) {
    const checked = checkFields(route.body, parts.body, 'body');
    if (checked.ok) input.body = checked.value;
    else errors.push(...checked.errors);
  }
  if (errors.length > 0) throw validationFailed(errors);
  return input;
}
