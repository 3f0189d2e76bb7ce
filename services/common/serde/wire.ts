/**
 * Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian
 * integer, then the Avro or JSON payload.
 * https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format
 */
export const MAGIC_BYTE = 0;
export const HEADER_BYTES = 5;

/** The schema id of a Confluent-framed message, or undefined for anything else. */
export function confluentSchemaId(buf: Buffer | null): number | undefined {
  if (!buf || buf.length < HEADER_BYTES || buf[0] !== MAGIC_BYTE) return undefined;
  return buf.readUInt32BE(1);
}

export function confluentFrame(schemaId: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  payload.copy(out, HEADER_BYTES);
  return out;
}

/** Whether bytes look like a plain JSON object (first non-blank byte is `{`). */
export function looksLikeJsonObject(buf: Buffer | null): boolean {
  if (!buf) return false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0xef || b === 0xbb || b === 0xbf) continue;
    return b === 0x7b;
  }
  return false;
}
