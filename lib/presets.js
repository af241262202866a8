'use strict';
// Named output recipes for the common web sizes: a resize plus a format and quality.

const { rangeError, typeError } = require('./errors');

const PRESETS = Object.freeze({
  thumbnail: Object.freeze({ width: 150, height: 150, fit: 'cover', format: 'webp', quality: 75 }),
  avatar: Object.freeze({ width: 200, height: 200, fit: 'cover', format: 'webp', quality: 80 }),
  // A hero banner is never enlarged: a smaller original is sent at its own size.
  hero: Object.freeze({ width: 1920, fit: 'inside', withoutEnlargement: true, format: 'jpeg', quality: 85 }),
  social: Object.freeze({ width: 1200, height: 630, fit: 'cover', format: 'jpeg', quality: 80 }),
});

const PRESET_NAMES = Object.freeze(Object.keys(PRESETS));

/** The preset called `name`; an unknown name is a RangeError that lists the valid ones. */
function presetNamed(name) {
  if (typeof name !== 'string') throw typeError(`preset name must be a string, got ${typeof name}`);
  if (!Object.hasOwn(PRESETS, name)) {
    throw rangeError(`unknown preset '${name}'; use one of ${PRESET_NAMES.join(', ')}`);
  }
  return PRESETS[name];
}

module.exports = { PRESETS, PRESET_NAMES, presetNamed };
