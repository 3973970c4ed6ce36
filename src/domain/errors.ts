/**
 * Stable error codes. They travel from the domain outwards unchanged: the workflow turns them into
 * an ApplicationFailure type, the API into the `code` of a problem+json body.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'ORDER_ALREADY_EXISTS'
  | 'ORDER_NOT_FOUND'
  | 'INVALID_TRANSITION'
  | 'REBUILD_RUNNING'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
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
