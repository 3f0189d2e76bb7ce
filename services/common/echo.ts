/** How much of a caller's input an error message or log line repeats. */
export const ECHO_MAX_CHARS = 64;

/**
 * The caller's text, JSON-quoted and cut to `max` characters with its full
 * length noted: a label of half a megabyte is not sent back, nor logged, whole.
 */
export function quoteInput(text: string, max = ECHO_MAX_CHARS): string {
  return text.length > max ? `${JSON.stringify(text.slice(0, max))}… (${text.length} characters)` : JSON.stringify(text);
}
