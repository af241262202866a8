'use strict';
// The disk cache of converted images: one file per (source identity, parameters), named by
// the key's hash, `<hash>.<format>`. Writes are atomic (a temporary file in the same folder,
// then a rename), so a reader and a restarted process never see half a file. The total
// size is bounded by `maxBytes`: the least recently used files are removed first. The index
// is rebuilt from the folder at start (oldest modification time first; a hit refreshes it).
//
// The bytes of the most recently used entries are also kept in memory, up to `maxMemoryBytes`,
// so a hit on them neither reads nor allocates (a read per hit was garbage for V8 to collect,
// and raised the process's memory over a long run of hits).
//
// Identical requests that miss together share one conversion (`coalesce`).

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const ENTRY = /^([0-9a-f]{64})\.(jpeg|png|webp|avif)$/;
const TEMP = /^\.[0-9a-f]{64}\.[a-z]+\.\d+\.[0-9a-f]+\.tmp$/;
/** A hit refreshes the file's mtime (the LRU order after a restart) at most this often. */
const TOUCH_MS = 60_000;

class DiskCache {
  /** key → { file, size, format, touched, data? }; Map order is least recently used first. */
  #index = new Map();
  #bytes = 0;
  /** Bytes and count of the entries whose `data` is kept. */
  #memoryBytes = 0;
  #memoryEntries = 0;
  #dir;
  #maxBytes;
  #maxMemoryBytes;
  ready;

  constructor(dir, maxBytes, maxMemoryBytes = 0) {
    this.#dir = dir;
    this.#maxBytes = maxBytes;
    this.#maxMemoryBytes = maxMemoryBytes;
    this.ready = this.#load();
  }

  get bytes() {
    return this.#bytes;
  }

  get entries() {
    return this.#index.size;
  }

  /** The bytes kept in memory (at most `maxMemoryBytes`, and never more than `bytes`). */
  get memoryBytes() {
    return this.#memoryBytes;
  }

  get memoryEntries() {
    return this.#memoryEntries;
  }

  async #load() {
    await fs.promises.mkdir(this.#dir, { recursive: true });
    const found = [];
    for (const name of await fs.promises.readdir(this.#dir)) {
      const file = path.join(this.#dir, name);
      if (TEMP.test(name)) {
        // Left by a process that died mid-write; a live writer's file is younger than this.
        const st = await fs.promises.stat(file).catch(() => null);
        if (st && Date.now() - st.mtimeMs > 60_000) await fs.promises.unlink(file).catch(() => {});
        continue;
      }
      const m = ENTRY.exec(name);
      if (!m) continue;
      const st = await fs.promises.stat(file).catch(() => null);
      if (st && st.isFile()) found.push({ key: m[1], format: m[2], file, size: st.size, mtimeMs: st.mtimeMs });
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const e of found) this.#add(e.key, { file: e.file, size: e.size, format: e.format, touched: e.mtimeMs });
    await this.#evict(null);
  }

  #add(key, entry) {
    const old = this.#index.get(key);
    if (old) this.#remove(key, old);
    this.#index.set(key, entry);
    this.#bytes += entry.size;
  }

  #remove(key, entry) {
    this.#index.delete(key);
    this.#bytes -= entry.size;
    if (entry.data !== undefined) this.#drop(entry);
  }

  #drop(entry) {
    entry.data = undefined;
    this.#memoryBytes -= entry.size;
    this.#memoryEntries--;
  }

  /** Keeps `data` with `entry`, dropping the least recently used kept bytes over the bound. */
  #keep(entry, data) {
    // Already kept (two hits read it at once), or larger than the whole bound.
    if (entry.data !== undefined || data.length > this.#maxMemoryBytes) return;
    entry.data = data;
    this.#memoryBytes += data.length;
    this.#memoryEntries++;
    for (const e of this.#index.values()) {
      if (this.#memoryBytes <= this.#maxMemoryBytes) break;
      if (e.data === undefined || e === entry) continue;
      this.#drop(e);
    }
  }

  /** The cached bytes for `key`, or null; a hit makes the entry the most recently used. */
  async get(key) {
    const entry = this.#index.get(key);
    if (!entry) return null;
    let data = entry.data;
    if (data === undefined) {
      data = await readExactly(entry.file, entry.size);
      if (this.#index.get(key) !== entry) return data;
      if (data === null) {
        // Removed or replaced behind our back (another process evicted it, a person cleaned up).
        this.#remove(key, entry);
        return null;
      }
      this.#keep(entry, data);
    }
    this.#index.delete(key);
    this.#index.set(key, entry);
    const now = Date.now();
    if (now - entry.touched > TOUCH_MS) {
      entry.touched = now;
      fs.promises.utimes(entry.file, now / 1000, now / 1000).catch(() => {});
    }
    return data;
  }

  /** Stores `data` under `key` atomically, then trims the cache to its bound. */
  async put(key, format, data) {
    // An entry larger than the whole cache is served but never stored.
    if (data.length > this.#maxBytes) return false;
    const file = path.join(this.#dir, `${key}.${format}`);
    const tmp = path.join(this.#dir, `.${key}.${format}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
    try {
      await fs.promises.writeFile(tmp, data, { flag: 'wx' });
      await fs.promises.rename(tmp, file);
    } catch (err) {
      await fs.promises.unlink(tmp).catch(() => {});
      throw err;
    }
    const entry = { file, size: data.length, format, touched: Date.now() };
    this.#add(key, entry);
    this.#keep(entry, data);
    await this.#evict(key);
    return true;
  }

  async #evict(keep) {
    const removals = [];
    for (const [key, entry] of this.#index) {
      if (this.#bytes <= this.#maxBytes) break;
      if (key === keep) continue;
      this.#remove(key, entry);
      removals.push(fs.promises.unlink(entry.file).catch(() => {}));
    }
    await Promise.all(removals);
  }
}

/**
 * The bytes of `file` when it holds exactly `size` of them, else null. One open and one read
 * (the size is the index's, so no fstat; one byte more tells a longer file); the close is not
 * waited for.
 */
function readExactly(file, size) {
  return new Promise((resolve) => {
    fs.open(file, 'r', (err, fd) => {
      if (err) {
        resolve(null);
        return;
      }
      const data = Buffer.allocUnsafe(size + 1);
      fs.read(fd, data, 0, size + 1, 0, (readErr, n) => {
        fs.close(fd, () => {});
        resolve(readErr || n !== size ? null : data.subarray(0, size));
      });
    });
  });
}

/** The cache key of a request: a hash of the text of everything that decides the output's bytes. */
function cacheKey(text) {
  return crypto.createHash('sha256').update(text).digest('hex');
}

/**
 * Runs `make()` once per key at a time: callers that ask for a key already being made wait
 * for the same promise. `limit` bounds how many different keys may be in progress.
 */
class Coalescer {
  #inFlight = new Map();

  get size() {
    return this.#inFlight.size;
  }

  /** `{ promise, shared }`, or null when `limit` keys are already in progress. */
  run(key, limit, make) {
    const running = this.#inFlight.get(key);
    if (running) return { promise: running, shared: true };
    if (this.#inFlight.size >= limit) return null;
    const promise = Promise.resolve()
      .then(make)
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, promise);
    return { promise, shared: false };
  }
}

module.exports = { DiskCache, Coalescer, cacheKey };
