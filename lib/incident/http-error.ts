/** An error the client caused (or a state it must wait out), with the status that says so. */
export type HttpStatus = 400 | 403 | 404 | 408 | 410 | 413 | 429 | 500 | 503 | 507;

/** The body's `code` when the thrower names none. */
const DEFAULT_CODE: Record<HttpStatus, string> = {
  400: 'BAD_REQUEST',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  408: 'REQUEST_TIMEOUT',
  410: 'EXPIRED',
  413: 'TOO_LARGE',
  429: 'RATE_LIMITED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  507: 'STORAGE_FULL',
};

/** The store's database or data directory is gone: the server must be restarted (503). */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  /** Told by code, not class: the store may come from another bundle of the same server. */
  readonly code = 'STORE_UNAVAILABLE';
}

export class HttpError extends Error {
  override name = 'HttpError';
  readonly code: string;
  constructor(
    readonly status: HttpStatus,
    message: string,
    readonly headers: Record<string, string> = {},
    code?: string,
  ) {
    super(message);
    this.code = code ?? DEFAULT_CODE[status];
  }
}
