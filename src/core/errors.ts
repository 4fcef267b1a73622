// The one family of errors zerocve raises. Library code throws these; only src/cli maps them to exit codes.
// Messages are one line and name the input and the problem ("layer sha256:ab… of oci-dir:/x: gzip data truncated").

export type ErrorKind = 'usage' | 'input' | 'registry' | 'database' | 'internal';

export class ZerocveError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = new.target.name;
  }
}

/** The user asked for something that cannot mean anything (bad flag, bad target syntax). Exit 2. */
export class UsageError extends ZerocveError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('usage', message, options);
  }
}

/** The input is bad: malformed archive, digest mismatch, path escape, decompression bomb. Exit 3. */
export class InputError extends ZerocveError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('input', message, options);
  }
}

/** A registry answered with an error or could not be reached. Exit 3. */
export class RegistryError extends ZerocveError {
  readonly status?: number;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super('registry', message, options);
    this.status = options?.status;
  }
}

/** The vulnerability database is missing, corrupt, or too old. Exit 3. */
export class DatabaseError extends ZerocveError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('database', message, options);
  }
}

/** A bug in zerocve. Exit 3. */
export class InternalError extends ZerocveError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('internal', message, options);
  }
}

/** Reason text of any thrown value, for composing one-line messages. */
export function reasonOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
