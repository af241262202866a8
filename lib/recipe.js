'use strict';
// A recipe: recorded operations without a source, as plain JSON that can cross a process
// (a queue job, an HTTP query). Its methods come from the table in operations.js. It may
// also carry a list of outputs (`toOutputs`), so one recipe makes a whole set per input.
//
//   { "version": 1, "steps": [{ "op": "resize", "width": 800, "fit": "inside", ... }, { "op": "rotate", "degrees": 90 }],
//     "outputs": [{ "resize": 320, "format": "webp" }, { "resize": 640, "format": "webp" }] }

const v = require('./validate');
const { typeError, rangeError } = require('./errors');
const { addOperationMethods, stepFromJSON, stepToJSON } = require('./operations');
const { pathlessSpecs } = require('./outputs');

/** The version of the recipe JSON this module writes and reads. */
const RECIPE_VERSION = 1;

let partsOf;
let fill;

class Recipe {
  /** Normalised, frozen steps `{ op, ...args }`, in call order. */
  #steps = [];
  /** The output specs (checked, frozen, without paths), or null. */
  #outputs = null;

  /**
   * `toOutputs([{ resize, format, quality, ... }, ...])`: the outputs this recipe makes of
   * each input (toOutputs' specs, without `path`: a batch names each file); replaces any
   * given before. Returns the recipe.
   */
  toOutputs(specs) {
    this.#outputs = pathlessSpecs(specs);
    return this;
  }

  /** `{ version: 1, steps: [{ op, ...args }], outputs? }`: plain values only, also what JSON.stringify writes. */
  toJSON() {
    const json = { version: RECIPE_VERSION, steps: this.#steps.map(stepToJSON) };
    return this.#outputs === null ? json : { ...json, outputs: structuredClone(this.#outputs) };
  }

  static {
    addOperationMethods(Recipe.prototype, (r, step) => r.#steps.push(step));
    partsOf = (r) => ({ steps: r.#steps, outputs: r.#outputs });
    fill = (r, { steps, outputs }) => {
      r.#steps.push(...steps);
      r.#outputs = outputs;
    };
  }
}

/** The steps and outputs of recipe JSON (an object or its text), each checked; errors name the entry. */
function partsFromJSON(json) {
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
  const unknown = Object.keys(o).find((key) => key !== 'version' && key !== 'steps' && key !== 'outputs');
  if (unknown !== undefined) throw typeError(`recipe: unknown key ${v.quoted(unknown)}; a recipe has version, steps and outputs`);
  if (typeof o.version !== 'number') throw typeError(`recipe version must be the number ${RECIPE_VERSION}, got ${v.describe(o.version)}`);
  if (o.version !== RECIPE_VERSION) {
    throw rangeError(`recipe version must be ${RECIPE_VERSION} (the version this lazy-image reads), got ${o.version}`);
  }
  if (!Array.isArray(o.steps)) throw typeError(`recipe steps must be an array, got ${v.describe(o.steps)}`);
  const steps = [];
  // Every index, holes included.
  for (let i = 0; i < o.steps.length; i++) steps.push(stepFromJSON(o.steps[i], `steps[${i}]`));
  return { steps, outputs: o.outputs === undefined ? null : pathlessSpecs(o.outputs) };
}

/**
 * `recipe()`: an empty recipe; `recipe(json)`: one rebuilt from recipe JSON (an object or
 * its text) or copied from another recipe, every entry checked with the methods' messages.
 */
function recipe(json) {
  const r = new Recipe();
  if (json !== undefined) fill(r, readRecipe(json));
  return r;
}

/** A recipe's `{ steps, outputs }` (outputs null when it has none), from a Recipe or from recipe JSON (object or text). */
function readRecipe(value) {
  return value instanceof Recipe ? partsOf(value) : partsFromJSON(value);
}

/**
 * A recipe's steps, for a taker that writes one output of its own (a stream, a queue job,
 * the HTTP handler): a recipe that carries outputs is refused rather than half applied.
 */
function stepsOfRecipe(value) {
  const { steps, outputs } = readRecipe(value);
  if (outputs !== null) {
    throw typeError('this recipe carries outputs (toOutputs), which only processBatch, the command line and engine.apply(recipe).toOutputs() make; here they would be ignored: pass a recipe without outputs');
  }
  return steps;
}

module.exports = { Recipe, recipe, readRecipe, stepsOfRecipe, RECIPE_VERSION };
