/**
 * FNV-1a (32-bit) over the UTF-8 bytes of `text`, finished with murmur3's
 * fmix32 so that keys differing only in their last characters (user-1,
 * user-2, ...) still spread over the whole range.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  const step = (byte: number): void => {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  };
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) step(c);
    else if (c < 0x800) {
      step(0xc0 | (c >> 6));
      step(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      step(0xe0 | (c >> 12));
      step(0x80 | ((c >> 6) & 0x3f));
      step(0x80 | (c & 0x3f));
    } else {
      step(0xf0 | (c >> 18));
      step(0x80 | ((c >> 12) & 0x3f));
      step(0x80 | ((c >> 6) & 0x3f));
      step(0x80 | (c & 0x3f));
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Where `key` falls in [0, 1) for one model's rollout: the same key, model and rollout always land on the same point. */
export function splitPoint(model: string, rolloutId: string, key: string): number {
  return hash32(`${model}\u0000${rolloutId}\u0000${key}`) / 4294967296;
}

/** True when `key` belongs to the canary's share `weight` (0..1) of the rollout's traffic. */
export function routesToCanary(model: string, rolloutId: string, key: string, weight: number): boolean {
  return splitPoint(model, rolloutId, key) < weight;
}
