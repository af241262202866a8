'use strict';
// `require('lazy-image/http')`: the on-request serving shape (docs/SERVING.md).
//   params.js     query parsing and allow-lists
//   negotiate.js  Accept → output format
//   source.js     root folder (confined) or the caller's loader
//   cache.js      disk cache, LRU bound, coalescing of identical requests
//   errors.js     error → status code and JSON body
//   handler.js    the (req, res) handler that ties them together

const { createImageHandler, convertWithLazyImage, DEFAULT_CACHE_CONTROL } = require('./handler');
const { negotiate, parseAccept } = require('./negotiate');
const { STATUS_OF_CODE } = require('./errors');

module.exports = { createImageHandler, convertWithLazyImage, negotiate, parseAccept, STATUS_OF_CODE, DEFAULT_CACHE_CONTROL };
