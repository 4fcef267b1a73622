// An HTTP status with a message: thrown by handlers, answered as a JSON error body by the router.
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}
