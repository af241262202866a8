// Compiled by `tsc --noEmit` in `npm test`: typical calls must type-check against
// index.d.ts, and the `@ts-expect-error` lines prove that wrong calls do not.
import {
  ErrorCategory,
  ErrorCode,
  ImageEngine,
  concurrency,
  counters,
  createStreamingPipeline,
  processBatch,
  recipe,
  sweepTempFiles,
  getErrorCategory,
  isLazyImageError,
  inspect,
  inspectFile,
  supportedOutputFormats,
  version,
  type BatchEntry,
  type BatchSetEntry,
  type JobCounters,
  type ImageInfo,
  type PresetSettings,
  type LazyImageError,
  type Metrics,
  type OperationSteps,
  type Operations,
  type Recipe,
  type RecipeJSON,
  type RecipeSetJSON,
  type RecipeStep,
  type RecipeWithOutputs,
} from '..';

// Every operation has a method and a recipe step shape, and nothing else has either.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const everyOperationHasAStep: SameKeys<Operations, OperationSteps> = true;

async function recipes(): Promise<void> {
  const r: Recipe = recipe().resize(800).resize({ height: 600, fit: 'cover' }).rotate(90).flipH().keepMetadata().sanitize({ policy: 'strict' });
  const json: RecipeJSON = r.toJSON();
  const text: string = JSON.stringify(r);
  const again: Recipe = recipe(json).grayscale();
  const fromText: Recipe = recipe(text);
  const copy: Recipe = recipe(again);
  const steps: RecipeStep[] = [{ op: 'resize', width: 800 }, { op: 'crop', x: 0, y: 0, width: 10, height: 10 }, { op: 'flipV' }];
  const handWritten: Recipe = recipe({ version: 1, steps });
  const engine: ImageEngine = ImageEngine.fromPath('in.jpg').apply(handWritten).apply(text).apply(json).brightness(10);
  const batch: BatchEntry[] = await processBatch(['a.jpg', new URL('file:///b.png')], 'out', {
    recipe: r,
    format: 'webp',
    quality: 80,
    fsync: false,
    concurrency: 2,
    onProgress: (p) => console.log(p.done, p.source),
  });
  await processBatch(['a.jpg'], 'out', { format: 'png' });
  await processBatch(['a.jpg'], 'out', { recipe: text, format: 'png' });
  createStreamingPipeline({ format: 'png', recipe: r });
  createStreamingPipeline({ format: 'png', recipe: json, maxBytes: 1000 });
  console.log(everyOperationHasAStep, copy, fromText, engine, batch);

  // @ts-expect-error: a recipe has no source, so no output
  await recipe().resize(10).toBuffer('png');
  // @ts-expect-error: not an operation
  recipe({ version: 1, steps: [{ op: 'unlink' }] });
  // @ts-expect-error: not a key of the rotate step
  recipe({ version: 1, steps: [{ op: 'rotate', turns: 1 }] });
  // @ts-expect-error: only version 1 is read
  recipe({ version: 2, steps: [] });
  // @ts-expect-error: a recipe has no dimensions (no input)
  recipe().dimensions();
  // @ts-expect-error: the engine method batches the engine's own operations, not a recipe
  await engine.processBatch(['a.jpg'], 'out', { recipe: r, format: 'png' });
  // @ts-expect-error: the top-level processBatch needs a format
  await processBatch(['a.jpg'], 'out', { recipe: r });
  // @ts-expect-error: a recipe or ops, not both
  createStreamingPipeline({ format: 'png', recipe: r, ops: [['rotate', 90]] });
  // @ts-expect-error: not a policy, in a recipe either
  recipe().sanitize({ policy: 'loose' });
}

void recipes;

async function usage(): Promise<void> {
  const engine = ImageEngine.fromPath('in.jpg').resize(800).rotate(90).grayscale();
  const buf: Buffer = await engine.toBuffer('webp', 80);
  const same: Buffer = await engine.clone().toBuffer('jpeg', { quality: 85, fastMode: true });
  const written: number = await ImageEngine.from(buf).resize({ width: 100, fit: 'cover' }).toFile('out.png', 'png');
  const { data, metrics } = await ImageEngine.fromBytes(new Uint8Array(same)).toBufferWithMetrics('avif');
  const m: Metrics = metrics;
  const info: ImageInfo = inspect(data);
  // inspect takes what from() takes.
  const fromArrayBuffer: ImageInfo = inspect(new Uint8Array(data).buffer);
  const fromShared: ImageInfo = inspect(new SharedArrayBuffer(16));
  ImageEngine.from(new SharedArrayBuffer(16));
  // @ts-expect-error a string is a path: inspectFile, not inspect
  inspect('photo.jpg');
  // @ts-expect-error not image bytes
  inspect(new Uint16Array(4));
  console.log(fromArrayBuffer.width, fromShared.width);
  const file: ImageInfo = inspectFile(new URL('file:///tmp/a.png'));
  const dims: { width: number; height: number } = engine.dimensions();
  const formats: string[] = supportedOutputFormats();
  const v: string = version();
  console.log(written, m.totalMs, info.format, file.hasAlpha, dims.width, formats, v);

  try {
    await engine.crop(0, 0, 10, 10).toBuffer('png');
  } catch (err) {
    const category = getErrorCategory(err);
    if (category === ErrorCategory.USER_INPUT && (err as LazyImageError).code === ErrorCode.CROP_OUT_OF_BOUNDS) {
      console.log('crop outside');
    }
  }

  const batch: BatchEntry[] = await engine.processBatch(['a.jpg'], 'out', {
    format: 'webp',
    concurrency: 2,
    onProgress: (p) => console.log(`${p.done}/${p.total}`, p.source, p.success, p.code),
  });
  await engine.processBatch(['a.jpg', new URL('file:///b.png')], 'out', 'jpeg', 80, true, 0);
  for (const entry of batch) {
    if (!entry.success && entry.code === ErrorCode.CORRUPT_INPUT) console.log(entry.errorCategory, entry.error);
  }
  const settings: PresetSettings = engine.clone().preset('social');
  const thumb: Buffer = await engine.toBufferWithPreset('thumbnail');
  await engine.toFileWithPreset('hero.jpg', 'hero');
  console.log(settings.format, thumb.length);

  const kept = await ImageEngine.fromPath('in.jpg')
    .keepMetadata({ icc: true, exif: true, stripGps: false })
    .limits({ maxPixels: 40_000_000, timeoutMs: 5000 })
    .sanitize({ policy: 'lenient' })
    .toBufferWithMetrics('jpeg');
  const preserved: boolean = kept.metrics.iccPreserved && !kept.metrics.metadataStripped;
  console.log(preserved, kept.metrics.cpuTime, kept.metrics.policyViolations.includes('icc_refused'), kept.metrics.version);
  const { readable, writable } = createStreamingPipeline({ format: 'webp', quality: 80, ops: [['resize', 800], ['rotate', 90]] });
  writable.end(buf);
  readable.pipe(process.stdout);
  // @ts-expect-error: not an operation
  createStreamingPipeline({ format: 'png', ops: [['unlink', '/']] });
  // @ts-expect-error: not a policy
  ImageEngine.fromPath('in.jpg').sanitize({ policy: 'loose' });
  // @ts-expect-error: unknown preset
  engine.preset('banner');

  // @ts-expect-error: the options form needs a format
  await engine.processBatch([], 'out', { quality: 80 });

  // @ts-expect-error: unknown format
  await engine.toBuffer('tiff');
  // Animation and palettes.
  const gif: Buffer = await ImageEngine.fromPath('in.gif', { pages: -1 }).resize(100).toBuffer('gif', { loop: 0, delay: [40, 80], colours: 64, dither: 0.5 });
  await engine.pages(1).gif({ delay: 100 }).toBuffer();
  await engine.toBuffer('png', { palette: true, colours: 16, quality: 80 });
  engine.limits({ maxFrames: 100, maxTotalPixels: 1e8 });
  const frames: number = (await engine.toBufferWithMetrics('webp')).metrics.pagesOut + gif.length;
  // @ts-expect-error: pages is 1 or -1
  ImageEngine.fromPath('in.gif', { pages: 2 });
  // @ts-expect-error: delay is milliseconds, not a string
  await engine.toBuffer('webp', { delay: '100' });
  // @ts-expect-error: a delay list is not empty
  await engine.toBuffer('gif', { delay: [] });
  // @ts-expect-error: unknown fit
  engine.resize(10, 10, 'stretch');
  // @ts-expect-error: quality is a number
  await engine.toBuffer('jpeg', '80');
  await engine.toBuffer('jpeg', { quality: 'auto', chromaSubsampling: '4:4:4' });
  await engine.toOutputs([{ resize: 320, format: 'avif', chromaSubsampling: '4:2:0' }]);
  // @ts-expect-error: sharp's two chroma choices only
  await engine.toBuffer('jpeg', { chromaSubsampling: '4:2:2' });
  const jobs: number = concurrency(4) + concurrency();
  const queue: JobCounters = counters();
  const swept: number = sweepTempFiles('out', 60_000);
  const estimate: number = kept.metrics.memoryEstimate + kept.metrics.queueMs;
  await ImageEngine.fromPath('in.jpg').limits({ maxMemory: 512e6 }).toBuffer('png');
  console.log(jobs, queue.abandoned, swept, estimate);
  // @ts-expect-error: concurrency takes a number of jobs
  concurrency('4');
  // @ts-expect-error: not a limit
  ImageEngine.fromPath('in.jpg').limits({ maxRam: 1 });
  // @ts-expect-error: the constructor is private
  new ImageEngine();
}

void usage;

// Strict types: discriminated batch entries, the error guard, readonly arrays, rotate's
// angles and a resize that always has a size.
async function strict(): Promise<void> {
  const entries: BatchEntry[] = await processBatch(['a.jpg'] as const, 'out', { format: 'webp' });
  for (const r of entries) {
    if (r.success) {
      const out: string = r.outputPath;
      const written: number = r.bytesOut;
      console.log(out, written);
      // @ts-expect-error: a success has no error fields
      console.log(r.error);
    } else {
      const code: string = r.code;
      const message: string = r.error;
      console.log(code, message, r.errorCategory);
      // @ts-expect-error: a failure has no output path
      console.log(r.outputPath);
    }
  }
  try {
    await ImageEngine.fromPath('in.jpg').toBuffer('png');
  } catch (err) {
    if (isLazyImageError(err)) {
      const code: string = err.code;
      console.log(code, err.category, err.errorCode, err.message);
    }
    // @ts-expect-error: unknown until narrowed
    console.log(err.code);
  }
  const guarded: boolean = isLazyImageError(new Error('x'));

  const ops = [['resize', 800], ['rotate', 90], ['keepMetadata']] as const;
  createStreamingPipeline({ format: 'webp', ops });
  const inputs: readonly string[] = ['a.jpg', 'b.jpg'];
  await processBatch(inputs, 'out', { format: 'png' });
  await ImageEngine.fromPath('in.jpg').processBatch(inputs, 'out', 'png');
  const steps = [{ op: 'resize', width: 800 }, { op: 'rotate', degrees: 180 }] as const;
  recipe({ version: 1, steps });

  const e = ImageEngine.fromPath('in.jpg');
  e.rotate(-270).rotate(-90).rotate(0).rotate(90).rotate(180).rotate(270).rotate(360);
  recipe().rotate(90);
  e.resize(800).resize(800, 600).resize(null, 600).resize(undefined, 600, 'cover').resize({ height: 10 }).resize({ width: 10, kernel: 'nearest' });
  console.log(guarded);

  // @ts-expect-error: not a multiple of 90
  e.rotate(45);
  // @ts-expect-error: not a multiple of 90, in a recipe either
  recipe().rotate(45);
  // @ts-expect-error: not a multiple of 90, in a stream op either
  createStreamingPipeline({ format: 'png', ops: [['rotate', 45]] });
  // @ts-expect-error: resize needs a size
  e.resize();
  // @ts-expect-error: resize needs a size, in an options object too
  e.resize({ fit: 'cover' });
  // @ts-expect-error: resize needs a size, not two nulls
  e.resize(null, null);
  // @ts-expect-error: a stream resize needs a size
  createStreamingPipeline({ format: 'png', ops: [['resize']] });
  // @ts-expect-error: the guard takes one argument
  isLazyImageError();
}

void strict;

async function sharpShaped(): Promise<void> {
  const e = ImageEngine.fromPath('in.jpg');
  e.resize(800, 600, { fit: 'cover' }).resize(800, null, { withoutEnlargement: true, kernel: 'nearest' });
  const kept: Buffer = await e.toBuffer();
  const same: Buffer = await e.toBuffer({ quality: 70 });
  const bytes: number = (await e.toFile('out.webp')) + (await e.toFile('out.jpg', { quality: 60, fsync: false }));
  const set: Buffer = await e.clone().webp({ quality: 80 }).toBuffer();
  await e.clone().jpeg().png().avif({ effort: 2 }).toFormat('jpg', { quality: 50 }).toFile('x.jpg');
  const m: Metrics = (await e.toBufferWithMetrics()).metrics;
  console.log(kept, same, bytes, set, m);
  // @ts-expect-error: gravity is a composite layer's key; resize takes position
  e.resize(800, 600, { fit: 'cover', gravity: 'top' });
  // @ts-expect-error: the size goes in the first two arguments, not the options
  e.resize(800, 600, { width: 10 });
  // @ts-expect-error: not an output format
  e.toFormat('tiff');
  // @ts-expect-error: not an encoder option
  e.webp({ qualty: 80 });
  // @ts-expect-error: fsync is for files only
  e.jpeg({ fsync: false });
}

void sharpShaped;

// The operations sharp users reach for (sharpen, blur, flatten, extend, trim, cover
// position, composite) and metadata().
async function everydayOperations(engine: ImageEngine): Promise<void> {
  engine.sharpen().sharpen({ sigma: 1.5, m2: 3 }).sharpen(2).blur().blur(3).flatten({ background: '#ff8000' }).flatten();
  engine.extend(10).extend({ top: 4, left: 2, background: { r: 0, g: 0, b: 0, alpha: 0 }, extendWith: 'mirror' }).trim().trim({ threshold: 20 });
  engine.resize(400, 400, { fit: 'cover', position: 'attention' }).resize({ width: 300, height: 300, fit: 'cover', position: 'right top' });
  engine.resize(400, 400, { fit: 'contain', background: 'white' });
  engine.composite([{ input: 'logo.png', gravity: 'southeast', opacity: 0.5 }, { input: ImageEngine.fromPath('x.png').resize(40), tile: true, blend: 'multiply' }]);
  const steps: RecipeStep[] = [{ op: 'composite', layers: [{ input: 'logo.png', blend: 'screen' }] }, { op: 'trim' , threshold: 5 }];
  const m = await engine.metadata({ icc: true });
  const w: number = m.autoOrient.width;
  const icc: Buffer | undefined = m.icc;
  const space: 'srgb' | 'b-w' | 'cmyk' = m.space;
  const { metrics } = await engine.toBufferWithMetrics('jpeg', { background: '#000' });
  const left: number | undefined = metrics.cropOffsetLeft;
  void [steps, w, icc, space, left];
  // @ts-expect-error an unknown gravity
  engine.composite([{ input: 'logo.png', gravity: 'up' }]);
  // @ts-expect-error composite needs at least one layer
  engine.composite([]);
  // @ts-expect-error an unknown blend mode
  engine.composite([{ input: 'logo.png', blend: 'add' }]);
  // @ts-expect-error position is a gravity or a strategy
  engine.resize(100, 100, { fit: 'cover', position: 'middle' });
  // @ts-expect-error extendWith has four values
  engine.extend({ top: 1, extendWith: 'wrap' });
  // @ts-expect-error a recipe step's layer input is a path
  const bad: RecipeStep = { op: 'composite', layers: [{ input: Buffer.alloc(1) }] };
  // @ts-expect-error metadata takes icc and exif only
  await engine.metadata({ xmp: true });
  void bad;
}
void everydayOperations;

function sourceOptions(): void {
  ImageEngine.fromPath('in.jpg', { failOn: 'none' }).failOn('truncated');
  ImageEngine.from(Buffer.alloc(1), { failOn: 'error' });
  // @ts-expect-error not one of sharp's levels
  ImageEngine.fromPath('in.jpg', { failOn: 'sometimes' });
  // @ts-expect-error source options hold failOn only
  ImageEngine.fromPath('in.jpg', { limitInputPixels: 1 });
}
void sourceOptions;

async function manyOutputs(engine: ImageEngine): Promise<void> {
  const entries = await engine.toOutputs([{ resize: 640, format: 'webp', quality: 'auto', target: 80 }, { resize: { width: 320 }, format: 'avif', path: 'a.avif' }, { placeholder: true }]);
  for (const e of entries) {
    if (e.success) {
      const w: number = e.width;
      const q: number | undefined = e.quality;
      void [w, q];
    } else {
      const code: string = e.code;
      void code;
    }
  }
  const set = await engine.toSrcset({ widths: [320, 640], formats: ['avif', 'webp'], outDir: 'out', name: 'cat', quality: { avif: 60, webp: 'auto' } });
  const webp: string | undefined = set.srcset.webp;
  const p = await engine.placeholder();
  const uri: string = p.dataUri;
  const decodes: number = counters().decodes;
  await engine.toBuffer('jpeg', { quality: 'auto', target: 70 });
  void [webp, uri, decodes];
  // @ts-expect-error toOutputs needs at least one spec
  await engine.toOutputs([]);
  // @ts-expect-error quality is a number or 'auto'
  await engine.toOutputs([{ format: 'webp', quality: 'best' }]);
  // @ts-expect-error widths are numbers
  await engine.toSrcset({ widths: ['320'], outDir: 'out', name: 'cat' });
}
void manyOutputs;

async function outputSets(engine: ImageEngine): Promise<void> {
  // A recipe that carries a set: its JSON, a batch of it, the engine's toOutputs() and batch.
  const r: RecipeWithOutputs = recipe().resize(2000).toOutputs([{ resize: 320, format: 'webp' }, { resize: { width: 640 }, format: 'avif', quality: 'auto' }, { placeholder: true }]).grayscale();
  const json: RecipeSetJSON = r.toJSON();
  const plain: Recipe = r;
  const again: RecipeWithOutputs = recipe(json);
  const sets: BatchSetEntry[] = await processBatch(['a.jpg'], 'out', { recipe: r, concurrency: 2, onProgress: (p) => console.log(p.done) });
  await processBatch(['a.jpg'], 'out', { recipe: JSON.stringify(r) });
  await processBatch(['a.jpg'], 'out', { recipe: { version: 1, steps: [], outputs: [{ format: 'png' }] } as const });
  const byOption: BatchSetEntry[] = await processBatch(['a.jpg'], 'out', { outputs: [{ resize: 100, format: 'jpeg' }], fsync: false });
  await engine.processBatch(['a.jpg'], 'out', { outputs: [{ resize: 100, format: 'jpeg' }] });
  const applied: BatchSetEntry[] = await engine.apply(again).processBatch(['a.jpg'], 'out', { concurrency: 1 });
  const made = await engine.apply(json).toOutputs();
  for (const e of sets) {
    if (e.success) {
      for (const o of e.outputs) {
        const where: string | undefined = o.path;
        if (!o.success) console.log(o.code, where);
      }
    } else {
      const code: string = e.code;
      void code;
    }
  }
  void [plain, byOption, applied, made];

  // @ts-expect-error a set's outputs are named by the batch: no path
  recipe().toOutputs([{ format: 'webp', path: 'a.webp' }]);
  // @ts-expect-error a set needs at least one output
  recipe().toOutputs([]);
  // @ts-expect-error a recipe without outputs cannot stand in for a set
  const notASet: RecipeWithOutputs = recipe().grayscale();
  // @ts-expect-error a batch with outputs takes no batch-wide format
  await processBatch(['a.jpg'], 'out', { outputs: [{ format: 'webp' }], format: 'png' });
  // @ts-expect-error nor a batch-wide quality
  await engine.processBatch(['a.jpg'], 'out', { outputs: [{ format: 'webp' }], quality: 80 });
  // @ts-expect-error no path in a batch's outputs either
  await processBatch(['a.jpg'], 'out', { outputs: [{ format: 'webp', path: 'x.webp' }] });
  // @ts-expect-error a set entry has outputs, not one outputPath
  const one: string = sets[0].success ? sets[0].outputPath : '';
  // @ts-expect-error without a recipe that carries a set, a recipe batch needs a format
  await processBatch(['a.jpg'], 'out', { recipe: recipe().grayscale() });
  void [notASet, one];
}
void outputSets;
