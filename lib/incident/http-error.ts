/** An error the client caused, with the HTTP status that says so and a message for the body. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: 400 | 403 | 404 | 410 | 413 | 429 | 500 | 503,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
