/** What a Temporal call's error says about the server, through the errors the SDK wraps it in. */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { isGrpcServiceError } from '@temporalio/client';

/** How deep the SDK's wrapping goes, and then some. */
const MAX_DEPTH = 5;

/** The error and those it wraps (`cause`), outermost first. */
function* causes(error: unknown): Generator<unknown> {
  for (let current = error, depth = 0; current && depth < MAX_DEPTH; depth += 1) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/** The gRPC status code of an error or of any error it wraps. */
export function grpcCode(error: unknown): number | undefined {
  for (const each of causes(error)) if (isGrpcServiceError(each)) return each.code;
  return undefined;
}

/** The server did not answer (down, too slow, or the call was given up): nothing else can be told. */
export function isUnreachable(error: unknown): boolean {
  const code = grpcCode(error);
  return code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED || code === GrpcStatus.CANCELLED;
}

/** An error's message without gRPC's `5 NOT_FOUND: ` prefix. */
export const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/^\d+ [A-Z_]+: /, '');

/** The messages of an error and of every error it wraps. */
export function messagesOf(error: unknown): string {
  return [...causes(error)].map(messageOf).join(': ');
}
