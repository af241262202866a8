/// <reference types="node" />

export type OutputFormat = 'jpeg' | 'jpg' | 'png' | 'webp' | 'avif' | 'gif';
export type InputFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';
export type Fit = 'inside' | 'cover' | 'fill' | 'contain' | 'outside';
export type Kernel = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos3';
/** thumbnail 150×150 cover WebP 75; avatar 200×200 cover WebP 80; hero 1920 wide (never enlarged) JPEG 85; social 1200×630 cover JPEG 80. */
export type PresetName = 'thumbnail' | 'avatar' | 'hero' | 'social';

/** What `preset()` recorded and the output settings to use with it. */
export interface PresetSettings {
  format: 'jpeg' | 'webp';
  quality: number;
  width?: number;
  height?: number;
}

/** The nine gravities (sharp's names); CSS-like spellings are accepted too. */
export type GravityName = 'centre' | 'north' | 'northeast' | 'east' | 'southeast' | 'south' | 'southwest' | 'west' | 'northwest';
export type Gravity =
  | GravityName
  | 'center'
  | 'top'
  | 'bottom'
  | 'left'
  | 'right'
  | 'top left'
  | 'top right'
  | 'bottom left'
  | 'bottom right'
  | 'left top'
  | 'right top'
  | 'left bottom'
  | 'right bottom';
/** How a cover crop picks its region from the pixels. */
export type Strategy = 'entropy' | 'attention';
export type Blend = 'over' | 'multiply' | 'screen' | 'overlay' | 'darken' | 'lighten' | 'dest-in' | 'dest-out';
/** Which damage to the pixel data refuses an input, least strict first (sharp's `failOn`). */
export type FailOn = 'none' | 'truncated' | 'error' | 'warning';
/** Options given beside an input, as sharp takes them. */
export interface SourceOptions {
  failOn?: FailOn;
  /** Frames of an animated input: -1 every frame (default; the output stays animated when its format holds animation), 1 the first only. */
  pages?: Pages;
}
/** -1: every frame of an animation; 1: the first frame only. */
export type Pages = 1 | -1;
export type ExtendWith = 'background' | 'copy' | 'repeat' | 'mirror';
/** '#rgb', '#rrggbb', '#rrggbbaa', 'rgb(r, g, b)', 'rgba(r, g, b, a)', a name (white, black, transparent, …), or sharp's object (alpha 0–1). */
export type Colour = string | { r: number; g: number; b: number; alpha?: number };

/** `resize`'s options besides the size. */
export interface ResizeFitOptions {
  /** Default `inside`. */
  fit?: Fit;
  /** Where a cover crop sits: a gravity or a strategy. Default `centre`. */
  position?: Gravity | Strategy;
  /** What contain pads with. Default transparent (black for an opaque image). */
  background?: Colour;
  /** Default `lanczos3`. */
  kernel?: Kernel;
  /** Leave the image unchanged when the resize would enlarge it. Default false. */
  withoutEnlargement?: boolean;
}

/** A size with at least one side: `{ width }`, `{ height }` or both; a missing side keeps the aspect ratio. */
export type ResizeSize = { width: number; height?: number | null } | { width?: null; height: number };

export type ResizeOptions = ResizeSize & ResizeFitOptions;

export interface OutputOptions {
  /**
   * 1–100 (defaults: JPEG 85, WebP 80, AVIF 60; ignored by PNG), or `'auto'`: the lowest
   * quality (1–100) whose output scores at least `target` on SSIMULACRA2.
   */
  quality?: number | 'auto';
  /** With `quality: 'auto'`: the SSIMULACRA2 score to reach (default 75, "high quality"). */
  target?: number;
  /** Skip the slow searches (trellis, progressive scans, high encoder effort). */
  fastMode?: boolean;
  /** 0–10 encoder effort; PNG from 7 up is recompressed with oxipng. */
  effort?: number;
  /** WebP only: lossless encoding. */
  lossless?: boolean;
  /** What alpha is flattened onto for a format without it (JPEG). Default white. */
  background?: Colour;
  /** PNG: write a palette image (quantised to at most `colours`); `quality` then bounds the quantisation error. GIF always has a palette. */
  palette?: boolean;
  /** With a palette (PNG `palette: true`, or GIF): 2–256 colours, default 256. */
  colours?: number;
  /** sharp's other spelling of `colours`. */
  colors?: number;
  /** With a palette: Floyd–Steinberg dithering, 0 (none) to 1 (full, default). */
  dither?: number;
  /** An animation's plays: 0 forever; default the source's. */
  loop?: number;
  /** An animation's frame delays in ms: one for every frame, or one per frame; default the source's. */
  delay?: number | readonly [number, ...number[]];
  /**
   * JPEG and AVIF: the chroma's resolution, '4:2:0' (a quarter of the samples; JPEG's default)
   * or '4:4:4' (whole; AVIF's default). Without it, a JPEG's `quality: 'auto'` search may
   * choose '4:4:4' for an image that '4:2:0' keeps below the target even at quality 100.
   */
  chromaSubsampling?: ChromaSubsampling;
}

export type ChromaSubsampling = '4:2:0' | '4:4:4';

export interface FileOutputOptions extends OutputOptions {
  /** Flush the file and its folder to disk before resolving (default true; about 3 ms per file). */
  fsync?: boolean;
}

/** How a batch runs, whatever it writes. */
export interface BatchRunOptions {
  /** 1–1024 jobs of this batch in flight; 0 or absent keeps twice `concurrency()` in flight. */
  concurrency?: number;
  /** Flush each file and its folder to disk before resolving (default true). */
  fsync?: boolean;
  /** Called on the JS thread as each input finishes, in completion order. */
  onProgress?: (progress: BatchProgress) => void;
}

/** One output per input, in `format`. */
export interface BatchOptions extends FileOutputOptions, BatchRunOptions {
  format: OutputFormat;
}

/**
 * A set of outputs per input, from one decode each: every output written as
 * `<name>-<width>.<ext>` (see `SetOutputSpec`); no batch-wide format or encoder options.
 */
export interface BatchSetOptions extends BatchRunOptions {
  outputs: OutputSet;
}

/** A progress report: `success` tells the two kinds apart; `code` only on a failure. */
export type BatchProgress =
  | {
      /** Inputs finished so far, this one included. */
      done: number;
      total: number;
      source: string;
      success: true;
      code?: undefined;
    }
  | {
      done: number;
      total: number;
      source: string;
      success: false;
      code: (typeof ErrorCode)[keyof typeof ErrorCode];
    };

/** One input that was written: after `if (entry.success)`, `outputPath` is a string. */
export interface BatchSuccess {
  source: string;
  success: true;
  outputPath: string;
  bytesIn: number;
  bytesOut: number;
}

/** One input that failed; the error fields exist only here. */
export interface BatchFailure {
  source: string;
  success: false;
  error: string;
  /** Stable string code, as on thrown errors (`LAZY_CORRUPT_INPUT`, …). */
  code: (typeof ErrorCode)[keyof typeof ErrorCode];
  errorCode: number;
  errorCategory: ErrorCategoryValue;
}

/** One input's result, discriminated on `success`. */
export type BatchEntry = BatchSuccess | BatchFailure;

/** One input of a batch with a set of outputs that was read: each output succeeded or failed on its own. */
export interface BatchSetSuccess {
  source: string;
  success: true;
  /** One entry per spec, in order; written ones have `path`, a failed one its error and the `path` it was for. */
  outputs: OutputEntry[];
  bytesIn: number;
  /** Bytes of the files written. */
  bytesOut: number;
}

/** One input's result in a batch with a set of outputs; a failed input has no outputs. */
export type BatchSetEntry = BatchSetSuccess | BatchFailure;

export interface Dimensions {
  width: number;
  height: number;
}

export interface ImageInfo {
  format: InputFormat;
  width: number;
  height: number;
  hasAlpha: boolean;
  /** EXIF orientation 1–8 (1 when absent). */
  orientation: number;
  hasIccProfile: boolean;
}

export interface Metrics {
  decodeMs: number;
  opsMs: number;
  encodeMs: number;
  totalMs: number;
  /** Peak resident set size of the process so far, in bytes (0 where unknown). */
  peakRss: number;
  bytesIn: number;
  bytesOut: number;
  formatIn: InputFormat;
  formatOut: Exclude<OutputFormat, 'jpg'>;
  widthIn: number;
  heightIn: number;
  widthOut: number;
  heightOut: number;
  /** Frames written: more than 1 for an animation. */
  pagesOut: number;

  /** bytesIn / bytesOut. */
  compressionRatio: number;
  /** Milliseconds of CPU time of the thread that ran the pipeline. */
  cpuTime: number;
  /** The output carries the source's ICC profile. */
  iccPreserved: boolean;
  /** The source had metadata (EXIF, GPS, ICC, XMP, comments) that the output lacks. */
  metadataStripped: boolean;
  /** Non-fatal refusals of the limits policy. */
  policyViolations: PolicyViolation[];
  /** The source was HDR (PQ or HLG transfer) and was tone-mapped to 8-bit SDR sRGB. */
  toneMapped: boolean;
  /** Bytes the job reserved from the process's memory gate: its estimated peak. */
  memoryEstimate: number;
  /** Milliseconds the job waited in the queue before a thread took it. */
  queueMs: number;
  /** After a cover crop, as sharp reports them: minus the kept region's corner in the resized image. */
  cropOffsetLeft?: number;
  cropOffsetTop?: number;
  /** Pixels trim removed from each side (only after trim). */
  trimTop?: number;
  trimRight?: number;
  trimBottom?: number;
  trimLeft?: number;
  /** Version of this object's shape (4). */
  version: number;
}

/** One output of `toOutputs`: `resize` as the `resize()` method takes it (a width or its options). */
export interface OutputSpec extends OutputOptions {
  resize?: number | ResizeOptions;
  format?: OutputFormat;
  /** Write the output there (atomically); otherwise its bytes come back as `data`. */
  path?: string | URL;
  /** This entry is the placeholder: hashes, colour and a data URI instead of an encode. */
  placeholder?: boolean;
}

export interface Placeholder {
  /** Base64 of the ThumbHash bytes. */
  thumbhash: string;
  blurhash: string;
  /** `#rrggbb`. */
  dominant: string;
  /** A blurred WebP of at most 24 px, under 1 KB. */
  dataUri: string;
  /** The size of the image it stands for. */
  width: number;
  height: number;
}

export interface OutputSuccess {
  success: true;
  format: Exclude<OutputFormat, 'jpg'>;
  width: number;
  height: number;
  bytes: number;
  /** The quality used (the one chosen for `quality: 'auto'`). */
  quality?: number;
  /** For `quality: 'auto'`: the output's SSIMULACRA2 score. */
  score?: number;
  data?: Buffer;
  path?: string;
  placeholder?: Placeholder;
  metrics: Metrics;
}

export interface OutputFailure {
  success: false;
  format: string;
  /** Where the output was to be written, for a spec with a path (and in a batch). */
  path?: string;
  error: string;
  code: (typeof ErrorCode)[keyof typeof ErrorCode];
  errorCode: number;
  category: ErrorCategoryValue;
}

export type OutputEntry = OutputSuccess | OutputFailure;

/**
 * One output of a set that a recipe or a batch carries: a `toOutputs` spec without `path`,
 * since a batch names each file `<name>-<width>.<ext>` (`-<width>x<height>`, `-x<height>`,
 * or `<name>.<ext>` without a resize; `.jpg` for JPEG).
 */
export interface SetOutputSpec extends Omit<OutputSpec, 'path'> {
  path?: never;
}

/** A non-empty list of set outputs. */
export type OutputSet = readonly [SetOutputSpec, ...SetOutputSpec[]];

export interface SrcsetOptions {
  widths: readonly number[];
  /** Default avif, webp, jpeg. */
  formats?: readonly OutputFormat[];
  outDir: string | URL;
  /** Files are `<name>-<width>.<ext>`. */
  name: string;
  /** One quality for all, or per format: `{ avif: 60, webp: 'auto' }`. */
  quality?: number | 'auto' | Partial<Record<OutputFormat, number | 'auto'>>;
  target?: number;
  effort?: number;
  /** Also make the placeholder, from the same decode. */
  placeholder?: boolean;
  /** Prefixed to each file name in the srcset strings. */
  baseUrl?: string;
}

export interface SrcsetResult {
  outputs: OutputEntry[];
  /** Per format: `'<baseUrl>name-320.webp 320w, …'`. */
  srcset: Partial<Record<Exclude<OutputFormat, 'jpg'>, string>>;
  placeholder?: Placeholder;
}

/** What `metadata()` resolves with, from the header only. */
export interface ImageMetadata {
  format: InputFormat;
  /** Bytes of the encoded file. */
  size: number;
  /** As stored. */
  width: number;
  height: number;
  /** As displayed, after the EXIF orientation (unless autoOrient(false)). */
  autoOrient: Dimensions;
  orientation: number;
  /** As stored: 1 grey, 2 grey and alpha, 3 colour, 4 colour and alpha or CMYK. */
  channels: number;
  depth: 'uchar' | 'ushort';
  bitsPerSample: number;
  space: 'srgb' | 'b-w' | 'cmyk';
  hasAlpha: boolean;
  hasProfile: boolean;
  /** Progressive JPEG or interlaced PNG. */
  isProgressive: boolean;
  /** Pixels per inch, where the file says. */
  density?: number;
  /** Frames: 1 for a still image. */
  pages: number;
  /** How often an animation plays (0 forever). */
  loop?: number;
  /** Each frame's display time in ms (animations only). */
  delay?: number[];
  /** Only with `metadata({ icc: true })`. */
  icc?: Buffer;
  /** Only with `metadata({ exif: true })`; begins with "Exif\0\0", as sharp gives it. */
  exif?: Buffer;
}

/** One layer of `composite([...])`. */
export interface CompositeLayer {
  /** A path, the bytes of an image, or another engine (its own operations applied first). */
  input: string | URL | Input | ImageEngine;
  /** Default `centre`. */
  gravity?: Gravity;
  /** With `left`: the layer's top-left corner, instead of the gravity (may be negative). */
  top?: number;
  left?: number;
  /** Repeat the layer over the whole image. */
  tile?: boolean;
  /** Default `over`. */
  blend?: Blend;
  /** 0–1, multiplies the layer's alpha. Default 1. */
  opacity?: number;
}

export interface SharpenOptions {
  /** The Gaussian's sigma in pixels (0.3–1000); without it, a fast mild sharpen. */
  sigma?: number;
  /** Gain on flat areas (default 1). */
  m1?: number;
  /** Gain on jagged areas (default 2). */
  m2?: number;
  /** Where jagged begins, in L* units (default 2). */
  x1?: number;
  /** Most brightening, L* units (default 10). */
  y2?: number;
  /** Most darkening, L* units (default 20). */
  y3?: number;
}

export interface ExtendOptions {
  top?: number;
  right?: number;
  bottom?: number;
  left?: number;
  /** Default black; a transparent colour gives the image alpha. */
  background?: Colour;
  /** Default `background`. */
  extendWith?: ExtendWith;
}

export interface TrimOptions {
  /** The border's colour; default the top-left pixel's. */
  background?: Colour;
  /** How far (0–255, each channel) a pixel may be from it and still be border. Default 10. */
  threshold?: number;
}

export type PolicyViolation = 'icc_refused' | 'icc_too_large';

export interface KeepMetadataOptions {
  /** Carry the ICC profile (otherwise non-sRGB pixels are converted to sRGB). */
  icc?: boolean;
  /** Carry EXIF, with Orientation 1 and the output's size. */
  exif?: boolean;
  /** Remove GPS from kept EXIF (default true). */
  stripGps?: boolean;
}

export interface Limits {
  /** Largest width × height, read from the header; 0 lifts it. Default 268402689. */
  maxPixels?: number;
  /** Largest input in bytes; 0 lifts it (default). */
  maxBytes?: number;
  /** Longest time one output may take, in ms, queueing included; 0 lifts it (default). */
  timeoutMs?: number;
  /** Largest estimated memory of one job, in bytes, checked before decoding; 0 lifts it (default; strict sets 1 GiB, lenient 4 GiB). */
  maxMemory?: number;
  /** Most frames of an animation, from the header; 0 lifts it. Default 2000 (strict 500, lenient 5000). */
  maxFrames?: number;
  /** Most pixels of all an animation's frames together, from the header; 0 lifts it. Default 268402689 (strict 100 M, lenient 1000 M). */
  maxTotalPixels?: number;
}

export type Policy = 'strict' | 'lenient';

export interface OutputWithMetrics {
  data: Buffer;
  metrics: Metrics;
}

export type Input = Buffer | Uint8Array | ArrayBuffer | SharedArrayBuffer;

/**
 * `resize(width, height?, fit?)`, `resize(width, height, { fit, kernel, withoutEnlargement })`, `resize(null, height, fit?)` or
 * `resize({ width, height, fit, kernel, withoutEnlargement })`: always at least one side,
 * so `resize()` and `resize({})` do not compile.
 */
export type ResizeArgs =
  | [width: number, height?: number | null, fit?: Fit | ResizeFitOptions]
  | [width: null | undefined, height: number, fit?: Fit | ResizeFitOptions]
  | [options: ResizeOptions];

/**
 * The angles `rotate` is typed with: the multiples of 90 from -270 to 360. The runtime also
 * takes any other multiple of 90 (450, -720, …); those need a cast in TypeScript.
 */
export type RotateDegrees = -270 | -180 | -90 | 0 | 90 | 180 | 270 | 360;

/**
 * The recorded operations, one method each, written once: `ImageEngine` and `Recipe` both
 * have them (each validates its arguments at once and returns `this`), and a stream's `ops`
 * tuples are made from them. Their recipe steps are in `OperationSteps`.
 */
export interface Operations {
  /** A missing side keeps the aspect ratio; at least one side. */
  resize(...args: ResizeArgs): this;
  crop(x: number, y: number, width: number, height: number): this;
  /** Multiples of 90 only (typed -270…360); anything else throws a RangeError. */
  rotate(degrees: RotateDegrees): this;
  flipH(): this;
  flipV(): this;
  grayscale(): this;
  /** -100..100 */
  brightness(value: number): this;
  /** -100..100 */
  contrast(value: number): this;
  /** No argument: a fast mild sharpen; with a sigma, libvips' unsharp mask on lightness. */
  sharpen(options?: SharpenOptions | number): this;
  /** A Gaussian blur of `sigma` (0.3–1000); no argument: a fast 3×3 box blur. */
  blur(sigma?: number): this;
  /** Merges alpha onto `background` (default white) and drops it. */
  flatten(options?: { background?: Colour }): this;
  /** A border: one number for all four sides, or per side with a fill. */
  extend(options: number | ExtendOptions): this;
  /** Removes the border of one colour; what was removed is in the metrics. */
  trim(options?: TrimOptions): this;
  /** Draws the layers onto the image, in order. */
  composite(layers: readonly [CompositeLayer, ...CompositeLayer[]]): this;
  /** Which damage to the pixel data refuses the input (sharp's levels; default 'warning'). */
  failOn(level: FailOn): this;
  /** Frames of an animated input: -1 every frame (default), 1 the first only. */
  pages(count: Pages): this;
  autoOrient(enabled?: boolean): this;
  /** No argument: keep ICC and EXIF (GPS removed). With an object, omitted kinds are stripped. */
  keepMetadata(options?: KeepMetadataOptions): this;
  /** Omitted limits stay as they are. */
  limits(limits: Limits): this;
  /** strict: 40 MP, 32 MiB, 5 s, no ICC carried; lenient: 75 MP, 48 MiB, 30 s, ICC ≤ 512 KiB. */
  sanitize(options: { policy: Policy }): this;
}

/** Each operation's recipe step (besides `op`): the options-object form of its call. */
export interface OperationSteps {
  resize: ResizeOptions;
  crop: { x: number; y: number; width: number; height: number };
  rotate: { degrees: RotateDegrees };
  flipH: {};
  flipV: {};
  grayscale: {};
  brightness: { value: number };
  contrast: { value: number };
  sharpen: SharpenOptions;
  blur: { sigma?: number };
  flatten: { background?: Colour };
  extend: ExtendOptions;
  trim: TrimOptions;
  /** In recipe JSON a layer's input is a path. */
  composite: { layers: readonly (CompositeLayer & { input: string })[] };
  failOn: { level: FailOn };
  pages: { count: Pages };
  autoOrient: { enabled?: boolean };
  keepMetadata: KeepMetadataOptions;
  limits: Limits;
  sanitize: { policy: Policy };
}

export type OperationName = keyof Operations;

/** One step of a recipe: `{ op: 'resize', width: 800 }`, `{ op: 'rotate', degrees: 90 }`, … */
export type RecipeStep = { [K in keyof OperationSteps]: { op: K } & OperationSteps[K] }[keyof OperationSteps];

/** A recipe as plain JSON: what `recipe.toJSON()` gives and `recipe(json)` reads. */
export interface RecipeJSON {
  version: 1;
  steps: RecipeStep[];
  /** The set of outputs it makes of each input, when it carries one. */
  outputs?: SetOutputSpec[];
}

/** The JSON of a recipe that carries a set of outputs. */
export interface RecipeSetJSON extends RecipeJSON {
  outputs: SetOutputSpec[];
}

/** Recorded operations without a source, for batches, streams, queue jobs and HTTP requests. */
export interface Recipe extends Operations {
  /** `{ version: 1, steps, outputs? }`, each step normalised (defaults filled in); also what JSON.stringify writes. */
  toJSON(): RecipeJSON;
  /**
   * The outputs this recipe makes of each input (in a batch, the CLI, or
   * `engine.apply(recipe).toOutputs()`); replaces any given before.
   */
  toOutputs(specs: OutputSet): RecipeWithOutputs;
}

/** A recipe that carries a set of outputs. Streams, queue jobs and the HTTP handler refuse it. */
export interface RecipeWithOutputs extends Recipe {
  toJSON(): RecipeSetJSON;
}

/** A Recipe, or recipe JSON as an object or its text. */
export type RecipeInput = Recipe | RecipeJSON | { readonly version: 1; readonly steps: readonly RecipeStep[]; readonly outputs?: OutputSet } | string;

/** A recipe that carries a set of outputs, or its JSON (as an object, or text). */
export type RecipeSetInput = RecipeWithOutputs | RecipeSetJSON | { readonly version: 1; readonly steps: readonly RecipeStep[]; readonly outputs: OutputSet } | string;

/**
 * `recipe()`: an empty recipe; `recipe(json)`: one rebuilt from recipe JSON (object or text)
 * or copied from another recipe. Every step is checked with the methods' own messages,
 * prefixed with the step (`steps[2] (rotate): …`), and every output as `toOutputs` checks it.
 */
export declare function recipe(json: Exclude<RecipeSetInput, string>): RecipeWithOutputs;
export declare function recipe(json?: RecipeInput): Recipe;

export interface RecipeBatchOptions extends BatchOptions {
  /** The operations applied to every input; none when absent. */
  recipe?: RecipeInput;
}

/** A batch whose recipe carries the set of outputs each input makes. */
export interface RecipeSetBatchOptions extends BatchRunOptions {
  recipe: RecipeSetInput;
}

/**
 * The recipe's operations applied to every input file, written into `outDir`; no engine and
 * no input opened beforehand, so a missing or empty file fails only its own entry. With a set
 * of outputs (`outputs`, or a recipe that carries them) each input makes the whole set.
 */
export declare function processBatch(inputs: ReadonlyArray<string | URL>, outDir: string | URL, options: BatchSetOptions & { recipe?: RecipeInput }): Promise<BatchSetEntry[]>;
export declare function processBatch(inputs: ReadonlyArray<string | URL>, outDir: string | URL, options: RecipeSetBatchOptions): Promise<BatchSetEntry[]>;
export declare function processBatch(inputs: ReadonlyArray<string | URL>, outDir: string | URL, options: RecipeBatchOptions): Promise<BatchEntry[]>;

export declare class ImageEngine {
  private constructor();
  /** Memory-maps the file now (throws with a code if it cannot); decodes nothing. */
  static fromPath(path: string | URL, options?: SourceOptions): ImageEngine;
  /** Uses the caller's bytes in place (no copy). */
  static from(input: Input, options?: SourceOptions): ImageEngine;
  static fromBytes(input: Input, options?: SourceOptions): ImageEngine;
  static fromMemory(input: Input, options?: SourceOptions): ImageEngine;

  /**
   * Appends a recipe's steps (a Recipe, or its JSON as an object or text) to this engine;
   * the outputs it carries, if any, are what `toOutputs()` and `processBatch()` make without
   * specs or a format.
   */
  apply(recipe: RecipeInput): this;
  clone(): ImageEngine;

  /** Header only, synchronous; the displayed size after auto-orientation. */
  dimensions(): Dimensions;
  /**
   * One decode feeding every output; one entry per spec, in order; a failed output fails only
   * its entry. Without specs: the outputs of the applied recipe that carries them.
   */
  toOutputs(specs?: readonly [OutputSpec, ...OutputSpec[]]): Promise<OutputEntry[]>;
  /** A responsive set (and optionally its placeholder) from one decode. */
  toSrcset(options: SrcsetOptions): Promise<SrcsetResult>;
  /** Hashes, dominant colour and a tiny data URI, from one small decode. */
  placeholder(): Promise<Placeholder>;
  /** The header's facts, read off the JS thread; ICC and EXIF as Buffers when asked for. */
  metadata(options?: { icc?: boolean; exif?: boolean }): Promise<ImageMetadata>;
  hasIccProfile(): boolean;

  /**
   * Sets the output format and encoder options for a later `toBuffer()`/`toFile()` without
   * a format. Precedence: a format passed to `toBuffer`/`toFile` (with its own options),
   * then the one set here, then `toFile`'s extension or, for `toBuffer`, the input's format.
   */
  toFormat(format: OutputFormat, options?: OutputOptions): this;
  jpeg(options?: OutputOptions): this;
  png(options?: OutputOptions): this;
  webp(options?: OutputOptions): this;
  avif(options?: OutputOptions): this;
  gif(options?: OutputOptions): this;

  /** Without a format: the one set by `toFormat()`/`jpeg()`/…, else the input's own format. */
  toBuffer(format?: OutputFormat, quality?: number, fastMode?: boolean): Promise<Buffer>;
  toBuffer(format: OutputFormat, options: OutputOptions): Promise<Buffer>;
  toBuffer(options: OutputOptions): Promise<Buffer>;
  toBufferWithMetrics(format?: OutputFormat, quality?: number, fastMode?: boolean): Promise<OutputWithMetrics>;
  toBufferWithMetrics(format: OutputFormat, options: OutputOptions): Promise<OutputWithMetrics>;
  toBufferWithMetrics(options: OutputOptions): Promise<OutputWithMetrics>;
  /**
   * Writes atomically (temp file + rename); resolves to the bytes written. Without a format:
   * the one set by `toFormat()`/`jpeg()`/…, else the extension (.jpg, .jpeg, .png, .webp, .avif).
   */
  toFile(path: string | URL, format?: OutputFormat, quality?: number, fastMode?: boolean): Promise<number>;
  toFile(path: string | URL, format: OutputFormat, options: FileOutputOptions): Promise<number>;
  toFile(path: string | URL, options: FileOutputOptions): Promise<number>;

  /** Records the preset's resize and returns its output settings. */
  preset(name: PresetName): PresetSettings;
  /** Encodes with a preset; this engine's recorded operations stay as they were. */
  toBufferWithPreset(name: PresetName): Promise<Buffer>;
  toFileWithPreset(path: string | URL, name: PresetName): Promise<number>;

  /** This engine's operations applied to every input file; one entry per input, in order (the top-level `processBatch` with this engine's operations). */
  processBatch(inputs: ReadonlyArray<string | URL>, outDir: string | URL, options: BatchSetOptions): Promise<BatchSetEntry[]>;
  processBatch(inputs: ReadonlyArray<string | URL>, outDir: string | URL, options: BatchOptions): Promise<BatchEntry[]>;
  processBatch(
    inputs: ReadonlyArray<string | URL>,
    outDir: string | URL,
    format: OutputFormat,
    quality?: number,
    fastMode?: boolean,
    concurrency?: number,
  ): Promise<BatchEntry[]>;
  /** The set of outputs of the applied recipe that carries one, for every input. */
  processBatch(inputs: ReadonlyArray<string | URL>, outDir: string | URL, options?: BatchRunOptions): Promise<BatchSetEntry[]>;
}

/** The operation methods of `ImageEngine` (see `Operations`). */
export interface ImageEngine extends Operations {}

/** Header facts as stored (before orientation); takes what `ImageEngine.from` takes. */
/** SSIMULACRA2 of `distorted` against `reference` (encoded images of one size): 100 identical, 75 "high quality". */
export declare function ssimulacra2(reference: Input, distorted: Input): number;
export declare function inspect(input: Input): ImageInfo;
export declare function inspectFile(path: string | URL): ImageInfo;
export declare function supportedInputFormats(): InputFormat[];
export declare function supportedOutputFormats(): Exclude<OutputFormat, 'jpg'>[];
export declare function version(): string;

export type ErrorCategoryValue = 'user_input' | 'codec' | 'resource_limit' | 'internal';

export declare const ErrorCategory: {
  readonly USER_INPUT: 'user_input';
  readonly CODEC: 'codec';
  readonly RESOURCE_LIMIT: 'resource_limit';
  readonly INTERNAL: 'internal';
};

/** One recorded operation for a stream: an operation method's name and its arguments. */
export type StreamOp = { [K in OperationName]: readonly [K, ...Parameters<Operations[K]>] }[OperationName];

export interface StreamingBaseOptions extends OutputOptions {
  format: OutputFormat;
  /** Refuse input beyond this many bytes while it is staged (`LAZY_INPUT_TOO_LARGE`). */
  maxBytes?: number;
  /** Where input and output are staged; the OS temporary folder by default. */
  tmpDir?: string | URL;
}

/** The operations as a recipe or as `ops` tuples, not both. */
export type StreamingOptions = StreamingBaseOptions &
  ({ recipe: RecipeInput; ops?: undefined } | { ops?: readonly StreamOp[]; recipe?: undefined });

export interface StreamingPipeline {
  /** Write the encoded input here. */
  writable: import('node:stream').Writable;
  /** Read the encoded output here; errors carry the engine's codes. */
  readable: import('node:stream').Readable;
  /** Both sides as one Duplex. */
  toDuplex(): import('node:stream').Duplex;
}

/** Input staged to a temporary file, processed with `fromPath`, output streamed from a temporary file. */
export declare function createStreamingPipeline(options: StreamingOptions): StreamingPipeline;

export declare const ErrorCode: {
  readonly FILE_NOT_FOUND: 'LAZY_FILE_NOT_FOUND';
  readonly FILE_READ: 'LAZY_FILE_READ';
  readonly NOT_A_FILE: 'LAZY_NOT_A_FILE';
  readonly EMPTY_INPUT: 'LAZY_EMPTY_INPUT';
  readonly SOURCE_CHANGED: 'LAZY_SOURCE_CHANGED';
  readonly INVALID_ARGUMENT: 'LAZY_INVALID_ARGUMENT';
  readonly OUT_OF_RANGE: 'LAZY_OUT_OF_RANGE';
  readonly CROP_OUT_OF_BOUNDS: 'LAZY_CROP_OUT_OF_BOUNDS';
  readonly OUTPUT_WRITE: 'LAZY_OUTPUT_WRITE';
  readonly OUTPUT_IS_INPUT: 'LAZY_OUTPUT_IS_INPUT';
  readonly UNSUPPORTED_FORMAT: 'LAZY_UNSUPPORTED_FORMAT';
  readonly CORRUPT_INPUT: 'LAZY_CORRUPT_INPUT';
  readonly ENCODE_FAILED: 'LAZY_ENCODE_FAILED';
  readonly LIMIT_EXCEEDED: 'LAZY_LIMIT_EXCEEDED';
  readonly INPUT_TOO_LARGE: 'LAZY_INPUT_TOO_LARGE';
  readonly TIMEOUT: 'LAZY_TIMEOUT';
  readonly QUEUE_FULL: 'LAZY_QUEUE_FULL';
  readonly INTERNAL: 'LAZY_INTERNAL';
};

/** Every error thrown or rejected by lazy-image has these properties. */
export interface LazyImageError extends Error {
  code: (typeof ErrorCode)[keyof typeof ErrorCode];
  errorCode: number;
  category: ErrorCategoryValue;
}

export interface JobCounters {
  /** Jobs waiting for a thread. */
  queued: number;
  /** Jobs running, abandoned ones included. */
  running: number;
  /** Running jobs whose caller already had a timeout; they still hold their slot and memory. */
  abandoned: number;
  concurrency: number;
  /** Bytes reserved from the memory gate now, and its capacity. */
  memoryReserved: number;
  memoryCapacity: number;
  /** Sources (and composite overlays) decoded by this process so far. */
  decodes: number;
}

/**
 * How many image jobs run at once in this process (default: the number of cores). With an
 * argument, sets it; returns the value in force. Jobs run on lazy-image's own threads, not
 * libuv's pool.
 */
export declare function concurrency(jobs?: number): number;

/** What the process's image queue holds right now. */
export declare function counters(): JobCounters;

/**
 * Removes the temporary output files (`.<name>.<pid>.<n>.lazy-image.tmp`) that a killed
 * process left in `dir`: those whose process is gone, and any older than `staleMs`
 * (default one day). Returns how many were removed.
 */
export declare function sweepTempFiles(dir: string | URL, staleMs?: number): number;

/**
 * True for an error raised by lazy-image: an `Error` whose `code` is one of `ErrorCode`'s
 * values. Narrows an `unknown` caught error to `LazyImageError`.
 */
export declare function isLazyImageError(err: unknown): err is LazyImageError;

/** The category of an error; errors not raised by lazy-image count as `internal`. */
export declare function getErrorCategory(err: unknown): ErrorCategoryValue;
