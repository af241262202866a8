// ESM entry: `import { ImageEngine } from 'lazy-image'`. The addon is a CommonJS module,
// so this re-exports the CommonJS entry: one instance of everything, whichever way it loads.
import lazy from './index.js';

export const {
  ImageEngine,
  recipe,
  processBatch,
  createStreamingPipeline,
  inspect,
  inspectFile,
  ssimulacra2,
  supportedInputFormats,
  supportedOutputFormats,
  version,
  concurrency,
  counters,
  sweepTempFiles,
  getErrorCategory,
  isLazyImageError,
  ErrorCode,
  ErrorCategory,
} = lazy;
export default lazy;
