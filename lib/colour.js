'use strict';
// Colours as operations take them (backgrounds): CSS-like text or sharp's object form,
// normalised to [r, g, b, alpha] with every value 0–255.

const v = require('./validate');
const { typeError, rangeError } = require('./errors');

const NAMED = Object.freeze({
  white: [255, 255, 255, 255],
  black: [0, 0, 0, 255],
  transparent: [0, 0, 0, 0],
  red: [255, 0, 0, 255],
  green: [0, 128, 0, 255],
  blue: [0, 0, 255, 255],
  grey: [128, 128, 128, 255],
  gray: [128, 128, 128, 255],
});

const FORMS = "'#rgb', '#rrggbb', '#rrggbbaa', 'rgb(r, g, b)', 'rgba(r, g, b, a)', a name (white, black, transparent, …), { r, g, b, alpha } or [r, g, b, a] (0–255)";

function channel(name, value) {
  return v.integer(name, value, 0, 255);
}

/** alpha 0–1 (CSS and sharp) → 0–255. */
function alpha(name, value) {
  return Math.round(v.number(name, value, 0, 1) * 255);
}

/** `[r, g, b, a]` (0–255) for a colour given as text or as `{ r, g, b, alpha }`. */
function colour(name, value) {
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (Object.hasOwn(NAMED, text)) return [...NAMED[text]];
    const hex = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(text);
    if (hex) {
      const digits = hex[1].length <= 4 ? [...hex[1]].map((d) => d + d).join('') : hex[1];
      const values = digits.match(/../g).map((pair) => parseInt(pair, 16));
      return values.length === 3 ? [...values, 255] : values;
    }
    const fn = /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*([\d.]+)\s*)?\)$/.exec(text);
    if (fn) {
      const [r, g, b] = fn.slice(1, 4).map((d, i) => channel(`${name} ${'rgb'[i]}`, Number(d)));
      return [r, g, b, fn[4] === undefined ? 255 : alpha(`${name} alpha`, Number(fn[4]))];
    }
    throw rangeError(`${name} must be a colour (${FORMS}), got ${v.quoted(value)}`);
  }
  // The normalised form itself ([r, g, b] or [r, g, b, a], 0–255), as recipe JSON holds it.
  if (Array.isArray(value) && (value.length === 3 || value.length === 4)) {
    const rgba = value.map((c, i) => channel(`${name}[${i}]`, c));
    return rgba.length === 3 ? [...rgba, 255] : rgba;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const o = v.knownKeys(name, value, ['r', 'g', 'b', 'alpha'], name);
    return [channel(`${name}.r`, o.r), channel(`${name}.g`, o.g), channel(`${name}.b`, o.b), o.alpha === undefined ? 255 : alpha(`${name}.alpha`, o.alpha)];
  }
  throw typeError(`${name} must be a colour (${FORMS}), got ${v.describe(value)}`);
}

function optionalColour(name, value) {
  return value === undefined || value === null ? undefined : colour(name, value);
}

module.exports = { colour, optionalColour };
