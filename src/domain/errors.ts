/**
 * Stable error codes. They travel from the domain outwards unchanged: the workflow turns them into
 * an ApplicationFailure type, the API into the `code` of a problem+json body.
 */
import type * as z from 'zod';

export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'ORDER_ALREADY_EXISTS'
  | 'ORDER_NOT_FOUND'
  | 'INVALID_TRANSITION'
  | 'REBUILD_RUNNING'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'METHOD_NOT_IMPLEMENTED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'HEADERS_TOO_LARGE'
  | 'MALFORMED_REQUEST'
  | 'SQL_NOT_ALLOWED'
  | 'SQL_FAILED'
  | 'SQL_LIMIT_EXCEEDED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** One rejected field of a request, named by its path (`items[2].price`). */
export interface FieldError {
  field: string;
  message: string;
}

/** A rejection whose message is safe to show a client. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function validationFailed(errors: FieldError[]): DomainError {
  const first = errors[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new DomainError('VALIDATION_FAILED', `${first.field}: ${first.message}${more}`, errors);
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'an array',
  object: 'a JSON object',
};

/** Words for the problems a schema finds that carry no message of their own. */
function messageOf(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) return 'is required';
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_union':
      return 'options' in issue ? `must be one of ${(issue.options as unknown[]).map(String).join(', ')}` : issue.message;
    case 'too_small':
      return issue.origin === 'array' ? `must contain at least ${issue.minimum} items` : `must be at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array' ? `must contain at most ${issue.maximum} items` : `must be at most ${issue.maximum}`;
    default:
      return issue.message;
  }
}

/** `items[2].price` for the path ['items', 2, 'price']; the root is named `root`. */
function fieldName(path: PropertyKey[], root: string): string {
  if (path.length === 0) return root;
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`)).join('');
}

/** Every problem of an input, one per field, named by its path. */
function fieldErrorsOf(error: z.core.$ZodError, root: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ field: fieldName([...issue.path, key], root), message: 'is not a known field' });
    } else {
      errors.push({ field: fieldName(issue.path, root), message: issue.message });
    }
  }
  return errors;
}

/** Reads untrusted input with a schema: its value, or every bad field, named by its path (the whole input as `root`). */
export function checkFields<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  root: string,
): { ok: true; value: z.output<Schema> } | { ok: false; errors: FieldError[] } {
  const parsed = schema.safeParse(input, { error: messageOf });
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, errors: fieldErrorsOf(parsed.error, root) };
}

/** Reads untrusted input with a schema, or throws VALIDATION_FAILED naming every bad field. */
export function parseFields<Schema extends z.ZodType>(schema: Schema, input: unknown, root: string): z.output<Schema> {
  const checked = checkFields(schema, input, root);
  if (!checked.ok) throw validationFailed(checked.errors);
  return checked.value;
}
