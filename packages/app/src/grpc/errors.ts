import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { isDomainError, ValidationError, type ErrorKind } from '@aquastream/domain';

/** The gRPC status of each domain error kind; the stable domain code travels in `error-code`. */
export const STATUS_BY_KIND: Record<ErrorKind, status> = {
  validation: status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  conflict: status.FAILED_PRECONDITION,
  forbidden: status.PERMISSION_DENIED,
  unauthenticated: status.UNAUTHENTICATED,
  unavailable: status.UNAVAILABLE,
};

export type GrpcError = Partial<ServiceError> & { code: status; details: string; metadata: Metadata };

/**
 * A domain error as a gRPC status with its real message; anything else is INTERNAL with a generic
 * message (the caller logs the cause). Trailers: `error-code` (e.g. EVENT.NOT_FOUND), and
 * `retry-after` (seconds) in read-only mode.
 */
export function toGrpcError(error: unknown): GrpcError {
  const metadata = new Metadata();
  if (!isDomainError(error)) {
    metadata.set('error-code', 'INTERNAL');
    return { name: 'Error', message: 'Internal error', code: status.INTERNAL, details: 'Something went wrong on our side', metadata };
  }
  metadata.set('error-code', error.code);
  const retryAfter = error.details.retryAfterSeconds;
  if (typeof retryAfter === 'number') metadata.set('retry-after', String(retryAfter));
  let details = error.message;
  if (error instanceof ValidationError || error.code === 'VALIDATION.FAILED') {
    const errors = (error.details.errors as { field: string; message: string }[] | undefined) ?? [];
    if (errors.length) details = `${error.message}: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`;
  }
  return { name: error.name, message: details, code: STATUS_BY_KIND[error.kind], details, metadata };
}
