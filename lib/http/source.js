'use strict';
// Where a request's image comes from: a file under `root` (nothing outside it is ever
// opened), or the caller's `load(path, req)` (object storage, a database, …).
//
// A source is `{ path }` (a file, mapped by the engine) or `{ data }` (bytes the loader
// read), plus `identity`: what the cache key is made of, so a changed file is a new entry.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { promisify } = require('node:util');
const { HttpError } = require('./errors');

// The callback stat, promisified, costs less CPU per call than fs.promises.stat: it is on every request.
const stat = promisify(fs.stat);

function notFound() {
  return new HttpError(404, 'LAZY_FILE_NOT_FOUND', 'no such image');
}

function badPath(why) {
  return new HttpError(400, 'LAZY_INVALID_ARGUMENT', `bad image path: ${why}`);
}

/**
 * The decoded segments of a request path (`/a/b%20c.jpg` → ['a', 'b c.jpg']), or a 400 for
 * anything that could step out of a folder or means something else on some system: `.` and
 * `..` (also percent-encoded), an encoded `/`, a backslash, a NUL or other control
 * character, an empty segment (`//etc/passwd`), a drive letter or stream name (`:`).
 */
function pathSegments(rawPath) {
  if (typeof rawPath !== 'string' || !rawPath.startsWith('/')) throw badPath('it must start with /');
  if (rawPath.length > 4096) throw badPath('it is too long');
  const parts = rawPath.slice(1).split('/');
  return parts.map((part) => {
    let seg;
    try {
      seg = decodeURIComponent(part);
    } catch {
      throw badPath('bad percent-encoding');
    }
    if (seg === '') throw badPath('empty segment');
    if (seg === '.' || seg === '..') throw badPath('dot segment');
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f/\\:]/.test(seg)) throw badPath('forbidden character');
    return seg;
  });
}

/** `fs.Stats` → the part of a source's identity that changes when the file does. */
function statIdentity(real, st) {
  return `file\0${real}\0${st.dev}\0${st.ino}\0${st.size}\0${st.mtimeMs}`;
}

/** How many resolved paths a root resolver remembers (the oldest is forgotten first). */
const RESOLVED_MAX = 10_000;

/** True when two stats are of the same file, unchanged: a new, renamed, relinked or rewritten file has another ctime. */
function sameFile(a, b) {
  return a.dev === b.dev && a.ino === b.ino && a.ctimeMs === b.ctimeMs && a.mtimeMs === b.mtimeMs && a.size === b.size;
}

/**
 * The resolver for files under `root`: `(rawPath) → { path, identity }`. A path is resolved
 * (symlinks followed) and checked to stay inside root once; later requests for it make one
 * stat of the requested path and reuse the resolved one while that stat finds the same file
 * unchanged (device, inode, ctime, mtime, size). Anything else (a new file there, a symlink
 * changed to another file, a write) resolves and checks the path again.
 */
function rootResolver(root) {
  if (typeof root !== 'string' || root === '') throw new TypeError('createImageHandler: root must be a folder path');
  // Resolved once: every file must resolve (symlinks followed) to a path inside it.
  const realRoot = fs.realpathSync(root);
  if (!fs.statSync(realRoot).isDirectory()) throw new TypeError('createImageHandler: root must be a folder');
  const inside = realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep;
  /** Requested path (joined to root) → { real, dev, ino, ctimeMs, mtimeMs, size } of the file it resolved to. */
  const resolved = new Map();
  return async (rawPath) => {
    const segments = pathSegments(rawPath);
    // Hidden files and folders (.git, .env, the cache's own temporaries) are not served.
    if (segments.some((s) => s.startsWith('.'))) throw notFound();
    const joined = path.join(realRoot, ...segments);
    const known = resolved.get(joined);
    if (known !== undefined) {
      let st;
      try {
        st = await stat(joined);
      } catch {
        resolved.delete(joined);
        throw notFound();
      }
      if (sameFile(st, known)) return { path: known.real, identity: statIdentity(known.real, st), size: st.size };
      resolved.delete(joined);
    }
    let real;
    try {
      real = await fs.promises.realpath(joined);
    } catch {
      throw notFound();
    }
    // A symlink that leads out of root is the same as no file at all.
    if (!real.startsWith(inside)) throw notFound();
    let st;
    try {
      st = await stat(real);
    } catch {
      throw notFound();
    }
    if (!st.isFile()) throw notFound();
    if (resolved.size >= RESOLVED_MAX) resolved.delete(resolved.keys().next().value);
    resolved.set(joined, { real, dev: st.dev, ino: st.ino, ctimeMs: st.ctimeMs, mtimeMs: st.mtimeMs, size: st.size });
    return { path: real, identity: statIdentity(real, st), size: st.size };
  };
}

/** The resolver over the caller's `load(rawPath, req)`. */
function loaderResolver(load) {
  if (typeof load !== 'function') throw new TypeError('createImageHandler: load must be a function (path, req) → { data, etag? } | string | null');
  return async (rawPath, req) => {
    let found;
    try {
      found = await load(rawPath, req);
    } catch (err) {
      if (err && (err.code === 'ENOENT' || err.code === 'LAZY_FILE_NOT_FOUND' || err.status === 404 || err.statusCode === 404)) throw notFound();
      throw err;
    }
    if (found === null || found === undefined) throw notFound();
    if (typeof found === 'string') {
      let st;
      try {
        st = await stat(found);
      } catch {
        throw notFound();
      }
      if (!st.isFile()) throw notFound();
      return { path: found, identity: statIdentity(found, st), size: st.size };
    }
    if (typeof found === 'object' && found.data instanceof Uint8Array) {
      const data = Buffer.isBuffer(found.data) ? found.data : Buffer.from(found.data.buffer, found.data.byteOffset, found.data.byteLength);
      // The loader's ETag names the object's version; without one, the bytes do.
      const tag = typeof found.etag === 'string' && found.etag !== '' ? `etag\0${found.etag}` : `sha256\0${crypto.createHash('sha256').update(data).digest('hex')}`;
      return { data, identity: `load\0${rawPath}\0${tag}`, size: data.length };
    }
    throw new TypeError('load() must return { data: Buffer, etag? }, a file path, or null');
  };
}

module.exports = { pathSegments, rootResolver, loaderResolver };
