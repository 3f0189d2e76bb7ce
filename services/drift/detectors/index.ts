/** Public API of the change detectors: River's ADWIN, DDM and Page-Hinkley, by name or by factory. */
import { ConfigError } from '../../common/errors.js';
import { ADWIN_DEFAULTS, createAdwin } from './adwin.js';
import { DDM_DEFAULTS, createDdm } from './ddm.js';
import { PAGE_HINKLEY_DEFAULTS, createPageHinkley } from './page-hinkley.js';
import type { ChangeDetector, DetectorName, DetectorOptionsByName } from './types.js';

export { createAdwin, ADWIN_DEFAULTS } from './adwin.js';
export { createDdm, DDM_DEFAULTS } from './ddm.js';
export { createPageHinkley, PAGE_HINKLEY_DEFAULTS } from './page-hinkley.js';
export type {
  AdwinDetector,
  AdwinOptions,
  ChangeDetector,
  DdmOptions,
  DetectorName,
  DetectorOptionsByName,
  PageHinkleyMode,
  PageHinkleyOptions,
} from './types.js';

const FACTORIES: { readonly [N in DetectorName]: (options?: DetectorOptionsByName[N]) => ChangeDetector } = {
  adwin: createAdwin,
  ddm: createDdm,
  'page-hinkley': createPageHinkley,
};

/** The options each detector knows, read off its defaults. */
const DEFAULTS: { readonly [N in DetectorName]: Readonly<Required<DetectorOptionsByName[N]>> } = {
  adwin: ADWIN_DEFAULTS,
  ddm: DDM_DEFAULTS,
  'page-hinkley': PAGE_HINKLEY_DEFAULTS,
};

/** Every detector name, in a stable order: for config validation and help texts. */
export const DETECTOR_NAMES: readonly DetectorName[] = Object.freeze(Object.keys(FACTORIES) as DetectorName[]);

/**
 * Creates a detector by name with River's defaults for any option left out.
 * Meant for options read from configuration: an unknown name, an unknown
 * option (a typo would otherwise fall back to the default silently) or a bad
 * value throws ConfigError naming the key.
 */
export function createDetector<N extends DetectorName>(name: N, options?: DetectorOptionsByName[N]): ChangeDetector {
  if (!Object.hasOwn(FACTORIES, name)) throw new ConfigError('detector', `must be one of ${DETECTOR_NAMES.join(', ')}; got ${String(name)}`);
  const known = Object.keys(DEFAULTS[name]);
  const unknown = Object.keys(options ?? {}).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new ConfigError(`${name}.${unknown}`, `is not an option of ${name} (allowed: ${known.join(', ')})`);
  const factory = FACTORIES[name] as (options?: DetectorOptionsByName[N]) => ChangeDetector;
  return factory(options);
}
