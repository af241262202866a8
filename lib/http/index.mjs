// ESM entry of `lazy-image/http`: the CommonJS module re-exported (one instance either way).
import http from './index.js';

export const { createImageHandler, convertWithLazyImage, negotiate, parseAccept, STATUS_OF_CODE, DEFAULT_CACHE_CONTROL } = http;
export default http;
