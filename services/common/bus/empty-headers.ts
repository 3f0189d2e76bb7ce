/** Shared by every incoming message without headers, so the hot path allocates nothing for them. */
export const EMPTY_HEADERS: Record<string, Buffer> = Object.freeze({}) as Record<string, Buffer>;
