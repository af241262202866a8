'use strict';
// A recipe: recorded operations without a source, as plain JSON that can cross a process
// (a queue job, an HTTP query). Its methods come from the table in operations.js.
//
//   { "version": 1, "steps": [{ "op": "resize", "width": 800, "fit": "inside", ... }, { "op": "rotate", "degrees": 90 }] }

const v = require('./validate');
const { typeError, rangeError } = require('./errors');
const { addOperationMethods, stepFromJSON, stepToJSON } = require('./operations');

/** The version of the recipe JSON this module writes and reads. */
const RECIPE_VERSION = 1;

let stepsOf;

class Recipe {
  /** Normalised, frozen steps `{ op, ...args }`, in call order. */
  #steps = [];

  /** `{ version: 1, steps: [{ op, ...args }] }`: plain values only, also what JSON.stringify writes. */
  toJSON() {
    return { version: RECIPE_VERSION, steps: this.#steps.map(stepToJSON) };
  }

  static {
    addOperationMethods(Recipe.prototype, (r, step) => r.#steps.push(step));
    stepsOf = (r) => r.#steps;
  }
}

/** The steps of recipe JSON (an object or its text), each checked; errors name the step. */
function stepsFromJSON(json) {
  let o = json;
  if (typeof json === 'string') {
    try {
      o = JSON.parse(json);
    } catch (err) {
      throw typeError(`recipe must be JSON text or an object; the text does not parse: ${v.printable(err.message)}`);
    }
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw typeError(`recipe must be an object like { version: 1, steps: [...] } or its JSON text, got ${v.describe(o)}`);
  }
  const unknown = Object.keys(o).find((key) => key !== 'version' && key !== 'steps');
  if (unknown !== undefined) throw typeError(`recipe: unknown key ${v.quoted(unknown)}; a recipe has version and steps`);
  if (typeof o.version !== 'number') throw typeError(`recipe version must be the number ${RECIPE_VERSION}, got ${v.describe(o.version)}`);
  if (o.version !== RECIPE_VERSION) {
    throw rangeError(`recipe version must be ${RECIPE_VERSION} (the version this lazy-image reads), got ${o.version}`);
  }
  if (!Array.isArray(o.steps)) throw typeError(`recipe steps must be an array, got ${v.describe(o.steps)}`);
  const steps = [];
  // Every index, holes included.
  for (let i = 0; i < o.steps.length; i++) steps.push(stepFromJSON(o.steps[i], `steps[${i}]`));
  return steps;
}

/**
 * `recipe()`: an empty recipe; `recipe(json)`: one rebuilt from recipe JSON (an object or
 * its text) or copied from another recipe, every entry checked with the methods' messages.
 */
function recipe(json) {
  const r = new Recipe();
  if (json === undefined) return r;
  stepsOf(r).push(...(json instanceof Recipe ? stepsOf(json) : stepsFromJSON(json)));
  return r;
}

/** A recipe's steps, from a Recipe or from recipe JSON (object or text). */
function stepsOfRecipe(value) {
  return value instanceof Recipe ? stepsOf(value) : stepsFromJSON(value);
}

module.exports = { Recipe, recipe, stepsOfRecipe, RECIPE_VERSION };
