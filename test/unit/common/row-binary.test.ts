import { describe, expect, it } from 'vitest';
import { RowBinaryWriter, splitStatements } from '../../../services/common/index.js';

describe('RowBinary writer', () => {
  it('writes LEB128 lengths, little-endian integers and IEEE doubles', () => {
    const w = new RowBinaryWriter(4);
    w.varUInt(300);
    w.int64(-2);
    w.uint32(7);
    w.float64(1.5);
    w.string('hé');
    expect([...w.bytes()]).toEqual([0xac, 0x02, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 3, 0x68, 0xc3, 0xa9]);
  });

  it('writes 64-bit values above 2^32 exactly', () => {
    const w = new RowBinaryWriter();
    w.int64(1_700_000_000_123);
    expect(w.bytes().readBigInt64LE(0)).toBe(1_700_000_000_123n);
  });

  it('widens a reserved count prefix when more than 127 entries follow', () => {
    const w = new RowBinaryWriter(8);
    const at = w.beginCount();
    for (let i = 0; i < 200; i++) w.uint8(i & 0xff);
    w.endCount(at, 200);
    expect(w.bytes()[0]).toBe(0xc8);
    expect(w.bytes()[1]).toBe(0x01);
    expect([...w.bytes().subarray(2, 5)]).toEqual([0, 1, 2]);
    expect(w.length).toBe(202);
  });

  it('truncates a half-written row', () => {
    const w = new RowBinaryWriter();
    w.string('kept');
    const mark = w.length;
    w.string('dropped');
    w.truncate(mark);
    expect(w.bytes().toString('latin1', 1)).toBe('kept');
  });
});

describe('SQL statement splitting', () => {
  it('splits on semicolons outside quotes and comments', () => {
    expect(splitStatements("CREATE TABLE a (s String DEFAULT ';');\n-- a; comment\nSELECT 'x;y';\n")).toEqual([
      "CREATE TABLE a (s String DEFAULT ';')",
      "SELECT 'x;y'",
    ]);
  });
});
