/**
 * Appends values in ClickHouse's RowBinary format to one growing buffer.
 * https://clickhouse.com/docs/interfaces/formats/RowBinary
 *
 * Floats go in as their 8 IEEE bytes, with no text round trip, which is what
 * makes RowBinary much faster than JSON or TSV for feature data.
 */
const SHORT_COPY = 48;

export class RowBinaryWriter {
  private buf: Buffer;
  /** Bytes written so far. */
  length = 0;

  constructor(initialBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /** Drops everything after `length`, e.g. a row that failed validation half way. */
  truncate(length: number): void {
    this.length = length;
  }

  /** The bytes written; valid until the next write. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** Hands over the bytes written and starts a fresh buffer of the same size (no copy). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.length);
    this.buf = Buffer.allocUnsafe(this.buf.length);
    this.length = 0;
    return out;
  }

  uint8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  /** Unsigned LEB128, RowBinary's length prefix for strings, arrays and maps. */
  varUInt(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.length++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.length++] = v;
  }

  uint32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }

  /** 64-bit integer from a JS number (exact up to 2^53); negative values in two's complement. */
  int64(v: number): void {
    this.ensure(8);
    const lo = v >>> 0;
    const hi = Math.floor(v / 4294967296);
    this.buf.writeUInt32LE(lo, this.length);
    this.buf.writeInt32LE(hi | 0, this.length + 4);
    this.length += 8;
  }

  uint64(v: number): void {
    this.int64(v);
  }

  float64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.length);
    this.length += 8;
  }

  /** Nullable(Float64): a null flag byte, then the value when present. */
  nullableFloat64(v: number | null | undefined): void {
    if (v === null || v === undefined) {
      this.uint8(1);
      return;
    }
    this.uint8(0);
    this.float64(v);
  }

  string(v: string): void {
    const n = Buffer.byteLength(v);
    this.varUInt(n);
    this.ensure(n);
    this.length += this.buf.write(v, this.length, n, 'utf8');
  }

  /** A string already encoded as UTF-8 bytes `src[start, end)`. */
  stringBytes(src: Buffer, start: number, end: number): void {
    this.varUInt(end - start);
    this.raw(src, start, end);
  }

  /** Raw bytes, e.g. an IEEE double copied from an Avro payload. */
  raw(src: Buffer, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    if (n > SHORT_COPY) {
      src.copy(this.buf, this.length, start, end);
      this.length += n;
      return;
    }
    // Feature names and doubles are a few bytes: a JS loop beats the native call of Buffer#copy.
    const buf = this.buf;
    let at = this.length;
    for (let i = start; i < end; i++) buf[at++] = src[i]!;
    this.length = at;
  }

  /**
   * Reserves space for a map or array length that is only known after its
   * entries are written (Avro writes maps in blocks); `end` fills it in.
   */
  beginCount(): number {
    this.ensure(1);
    return this.length++;
  }

  endCount(at: number, count: number): void {
    if (count < 0x80) {
      this.buf[at] = count;
      return;
    }
    // Rare: more than 127 entries need a wider prefix; shift the entries right.
    const prefix: number[] = [];
    let v = count;
    while (v >= 0x80) {
      prefix.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    prefix.push(v);
    const extra = prefix.length - 1;
    this.ensure(extra);
    this.buf.copy(this.buf, at + 1 + extra, at + 1, this.length);
    for (let i = 0; i < prefix.length; i++) this.buf[at + i] = prefix[i]!;
    this.length += extra;
  }
}

/** Reads the RowBinary String (LEB128 length, then UTF-8 bytes) that starts at `at` in `bytes`. */
export function readRowBinaryString(bytes: Buffer, at: number): string {
  let length = 0;
  let shift = 1;
  let i = at;
  for (;;) {
    const b = bytes[i++];
    if (b === undefined) throw new RangeError(`RowBinary string at ${at} runs past the end`);
    length += (b & 0x7f) * shift;
    if (b < 0x80) break;
    shift *= 128;
  }
  if (i + length > bytes.length) throw new RangeError(`RowBinary string at ${at} runs past the end`);
  return bytes.toString('utf8', i, i + length);
}
