import { DecodeError } from '../../common/index.js';

/**
 * Reads Avro binary encoding from a Buffer without allocating: every read
 * advances `pos` and checks bounds, so truncated or garbage input fails with a
 * DecodeError instead of reading past the message.
 * https://avro.apache.org/docs/1.11.1/specification/#binary-encoding
 */
export class AvroCursor {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;

  reset(buf: Buffer, pos: number): void {
    this.buf = buf;
    this.pos = pos;
    this.end = buf.length;
  }

  /** Zig-zag varint (int or long), exact for |v| < 2^53. */
  long(): number {
    const buf = this.buf;
    let pos = this.pos;
    let b: number;
    let n = 0;
    let shift = 0;
    // First 28 bits with integer ops, then multiply (no 32-bit overflow).
    do {
      if (pos >= this.end) throw new DecodeError('Avro varint runs past the end of the message');
      b = buf[pos++]!;
      n |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 28);
    if (b & 0x80) {
      let f = n >>> 0;
      let mul = 268435456; // 2^28
      do {
        if (pos >= this.end) throw new DecodeError('Avro varint runs past the end of the message');
        if (mul > 2 ** 56) throw new DecodeError('Avro varint longer than 64 bits');
        b = buf[pos++]!;
        f += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80);
      this.pos = pos;
      return f % 2 === 0 ? f / 2 : -(f + 1) / 2;
    }
    this.pos = pos;
    return (n >>> 1) ^ -(n & 1);
  }

  /** Skips `n` bytes, returning where they started. */
  skip(n: number): number {
    const start = this.pos;
    if (n < 0 || start + n > this.end) throw new DecodeError('Avro value runs past the end of the message');
    this.pos = start + n;
    return start;
  }

  /** Length-prefixed bytes or string: returns the start; the end is `pos` afterwards. */
  bytes(): number {
    return this.skip(this.long());
  }

  double(): number {
    const v = this.buf.readDoubleLE(this.skip(8));
    return v;
  }

  float(): number {
    return this.buf.readFloatLE(this.skip(4));
  }

  boolean(): boolean {
    const b = this.buf[this.skip(1)];
    if (b !== 0 && b !== 1) throw new DecodeError(`Avro boolean byte ${b} is neither 0 nor 1`);
    return b === 1;
  }

  /**
   * Next block count of an array or map: 0 ends it. A negative count is
   * followed by the block's byte size, which we read past.
   */
  blockCount(): number {
    const n = this.long();
    if (n >= 0) return n;
    this.long();
    return -n;
  }
}
