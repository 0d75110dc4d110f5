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

  /** The same error again from its fields, after it crossed to another thread as a plain object. */
  static revive(e: { code: CaptureErrorCode; fileName: string; byteOffset: number; message: string }): CaptureFormatError {
    const out = new CaptureFormatError(e.code, e.fileName, e.byteOffset, '');
    out.message = e.message;
    return out;
  }
}

/** Something worth telling the user that did not stop the read (e.g. a truncated last record). */
export interface CaptureWarning {
  code: 'TRUNCATED_FILE' | 'TRUNCATED_BLOCK' | 'SKIPPED_BLOCK' | 'TIMESTAMP_PRECISION';
  byteOffset: number;
  message: string;
}
