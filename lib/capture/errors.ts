/**
 * The one error class a capture reader may throw. The message always names the file and the
 * byte offset, so an engineer can open the file in a hex editor at the right place.
 */
export type CaptureErrorCode =
  | 'EMPTY_FILE'
  | 'NOT_A_CAPTURE'
  | 'UNSUPPORTED_VERSION'
  | 'BAD_HEADER'
  | 'RECORD_TOO_LONG'
  | 'BAD_BLOCK_LENGTH'
  | 'BLOCK_OVERRUN'
  | 'UNKNOWN_INTERFACE'
  | 'NO_SECTION'
  | 'BAD_GZIP';

export class CaptureFormatError extends Error {
  readonly code: CaptureErrorCode;
  readonly fileName: string;
  readonly byteOffset: number;

  constructor(code: CaptureErrorCode, fileName: string, byteOffset: number, detail: string) {
    super(`${code} at byte ${byteOffset} of ${fileName}: ${detail}`);
    this.name = 'CaptureFormatError';
    this.code = code;
    this.fileName = fileName;
    this.byteOffset = byteOffset;
  }

}

/** A read's error as it crosses to another thread (a worker): plain data, revived by fromPlainError. */
export type PlainError =
  | { kind: 'capture'; code: CaptureErrorCode; fileName: string; byteOffset: number; message: string }
  | { kind: 'other'; code?: string; message: string };

export function toPlainError(e: unknown): PlainError {
  if (e instanceof CaptureFormatError) return { kind: 'capture', code: e.code, fileName: e.fileName, byteOffset: e.byteOffset, message: e.message };
  const code = (e as { code?: unknown } | null)?.code;
  return { kind: 'other', code: typeof code === 'string' ? code : undefined, message: e instanceof Error ? e.message : String(e) };
}

/** The error again on this side: a CaptureFormatError keeps its class, code and offset; another keeps its system code (ENOENT). */
export function fromPlainError(e: PlainError): Error {
  if (e.kind === 'other') return Object.assign(new Error(e.message), e.code === undefined ? {} : { code: e.code });
  const out = new CaptureFormatError(e.code, e.fileName, e.byteOffset, '');
  out.message = e.message;
  return out;
}

/** Something worth telling the user that did not stop the read (e.g. a truncated last record). */
export interface CaptureWarning {
  code: 'TRUNCATED_FILE' | 'TRUNCATED_BLOCK' | 'SKIPPED_BLOCK' | 'TIMESTAMP_PRECISION';
  byteOffset: number;
  message: string;
}
