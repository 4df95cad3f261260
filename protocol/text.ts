// The rule every text input obeys before it is stored: well-formed UTF-16
// (no lone surrogate) and no NUL. PostgreSQL refuses both in text and jsonb
// (`unsupported Unicode escape sequence`, `invalid byte sequence`), so a
// string that breaks the rule fails whatever write carries it, or, once in
// a document's ops, every later snapshot of that document. The server
// checks it where input enters (api/src/validation/text.ts).

declare global {
  interface String {
    /** ES2024, in Node since 20 and in current browsers (the lib setting stays at ES2023). */
    isWellFormed(): boolean;
  }
}

/** Whether `value` is well-formed UTF-16 without NUL. */
export const isCleanText = (value: string): boolean => value.isWellFormed() && !value.includes('\u0000');

// Node's Buffer counts without encoding (this runs over every submitted
// insert); a browser has only TextEncoder. Both count a lone surrogate as
// the 3 bytes of U+FFFD.
const NodeBuffer = (globalThis as { Buffer?: { byteLength(value: string, encoding: 'utf8'): number } }).Buffer;
const encoder = new TextEncoder();

/** Size of a string as stored and sent: its UTF-8 bytes. */
export const utf8Bytes: (value: string) => number = NodeBuffer
  ? (value) => NodeBuffer.byteLength(value, 'utf8')
  : (value) => encoder.encode(value).length;
