/** `driftloop replay`: dead letters back to where they came from, and consumer groups rewound. */
export { parsePosition, parseDuration, describePosition, POSITION_FORMS } from './positions.js';
export type { Position } from './positions.js';
export { resolveTopic, resolveGroup, TOPIC_CHOICES } from './targets.js';
export type { GroupTarget } from './targets.js';
export { replayDeadLetters, REPLAY_HEADER } from './dead-letters.js';
export type { DeadLetterReplayOptions, DeadLetterReplayReport, SkippedDeadLetter } from './dead-letters.js';
export { rewindGroup, JOIN_TIMEOUT_MS } from './rewind.js';
export type { RewindOptions, RewindReport, RewoundPartition } from './rewind.js';
export { decodeDeadLetter } from './dead-letter-record.js';
export type { DeadLetterRecord } from './dead-letter-record.js';
