/**
 * The script `npm run bench:scale` installs in the page (context.addInitScript) before the app's own scripts:
 *
 *  - `window.__scale`: what the bench reads back — long tasks (PerformanceObserver 'longtask', buffered), the
 *    `progress` element's value over time (sampled every 50 ms, only changes kept), status text changes, clicks
 *    and `change` events on test-id'd elements, when the ImageNet-C picker first shows a file count, and the
 *    longest gap between two sampler ticks (a main-thread stall seen from the page).
 *  - when `cfg.fs` is given, `window.showDirectoryPicker` returns a stand-in File System Access directory tree of
 *    an ImageNet-C layout of any size, generated lazily: a directory's children are made when it is iterated or
 *    looked up, never stored, so 4.75 M files cost the stand-in nothing but the 50 fixture Blobs of each cell
 *    (each fetched once, when a file showing it is first opened, from a made-up same-origin path the bench serves
 *    with context.route). Iterators yield in
 *    batches of `cfg.fs.batch` entries with a macrotask between batches (MessageChannel: no timer clamping), as
 *    Chromium's own iteration does with its IPC batches. The handles are ordinary objects with an own function-
 *    valued property, so IndexedDB cannot store them (DataCloneError), like any non-native handle.
 *    `window.__scale.classLimit = k` (set by the bench between picks) makes every severity folder hold only its
 *    first k class folders: the cache pre-fill (bench/scale-cache.ts) lets the app infer that small tree first.
 *
 * Plain JavaScript in a string, not a function: tsx's transpiler may wrap named functions in helpers that do not
 * exist in the page.
 */

export interface StandInConfig {
  /** Name of the picked folder (the root of every relative path). */
  rootName: string;
  /** (corruption, severity) cells, catalogue order. */
  cells: [string, number][];
  /** The class folders of every severity folder, sorted. */
  wnids: string[];
  /** Files per class folder. */
  perClass: number;
  /** Fixture JPEGs per cell, served at `${fixtureBase}${corruption}/${severity}/${k}`, k < fixturesPerCell. */
  fixturesPerCell: number;
  fixtureBase: string;
  /** Every file's lastModified (fixed, so a re-pick finds its cached predictions). */
  lastModified: number;
  /** Entries per iterator batch. */
  batch: number;
}

export interface PageScriptConfig {
  fs: StandInConfig | null;
  /** aria-label of the ImageNet-C FolderPicker region (today's app). */
  datasetRegionLabel: string;
}

const SCRIPT = String.raw`
(function (cfg) {
  if (window.__scale) return;
  var epoch = function () { return performance.timeOrigin + performance.now(); };
  var S = (window.__scale = {
    installedAt: epoch(),
    longtasks: [], progress: [], status: [], clicks: [], changes: [], tickGaps: [], errors: [],
    pickCalls: [], listedSeenAt: null, listProblem: null, maxTickGap: 0, appear: [],
    // Set by the bench at run time: every severity folder then holds only its first classLimit class folders.
    classLimit: null,
    standin: { dirIterations: 0, entriesYielded: 0, getFileCalls: 0, lookups: 0, cellFetches: 0 /* fixture fetches */ },
  });

  try {
    new PerformanceObserver(function (list) {
      var es = list.getEntries();
      for (var i = 0; i < es.length; i++) S.longtasks.push([performance.timeOrigin + es[i].startTime, es[i].duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) { S.errors.push('longtask observer: ' + e); }

  var label = function (el) {
    return el.getAttribute('data-testid') || (el.textContent || '').trim().slice(0, 40);
  };
  document.addEventListener('click', function (ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest('[data-testid],button') : null;
    if (el) S.clicks.push([epoch(), label(el)]);
  }, true);
  document.addEventListener('change', function (ev) {
    var el = ev.target;
    if (el && el.getAttribute) S.changes.push([epoch(), label(el), el.files ? el.files.length : null]);
  }, true);

  var lastTick = epoch(), lastVal = null, present = false, lastStatus = null;
  var WATCH = ['engine-info', 'progress', 'results', 'resume-banner', 'paused-message', 'sanity-warning'], shown = {};
  var regionSel = '[aria-label="' + cfg.datasetRegionLabel + '"]';
  setInterval(function () {
    var now = epoch(), gap = now - lastTick;
    lastTick = now;
    if (gap > S.maxTickGap) S.maxTickGap = gap;
    if (gap > 250 && S.tickGaps.length < 20000) S.tickGaps.push([now - gap, gap]);
    var p = document.querySelector('[data-testid="progress"]');
    if (p) {
      var v = Number(p.value), m = Number(p.max);
      // "… (12,345 from the cache)" next to the bar, where the app says so: done − fromCache = inferred here.
      var note = p.nextElementSibling ? p.nextElementSibling.textContent || '' : '';
      var fm = /\(([\d,.\u00a0\u202f]+) from the cache\)/.exec(note);
      var fc = fm ? Number(fm[1].replace(/[^\d]/g, '')) : null;
      var key = v + '/' + m + '/' + fc;
      if (!present) { present = true; lastVal = key; S.progress.push([now, v, m, 1, fc]); }
      else if (key !== lastVal) { lastVal = key; S.progress.push([now, v, m, 0, fc]); }
      if (S.progress.length > 100000) S.progress = S.progress.filter(function (_, i) { return i % 2 === 0 || S.progress[i][3] === 1; });
    } else present = false;
    for (var wi = 0; wi < WATCH.length; wi++) {
      var on = !!document.querySelector('[data-testid="' + WATCH[wi] + '"]');
      if (on !== !!shown[WATCH[wi]]) { shown[WATCH[wi]] = on; S.appear.push([now, WATCH[wi], on]); }
    }
    var st = document.querySelector('[data-testid="status"]');
    var t = st ? st.textContent : null;
    if (t !== lastStatus) { lastStatus = t; S.status.push([now, t]); }
    if (S.listedSeenAt === null || S.listProblem === null) {
      var r = document.querySelector(regionSel);
      if (r) {
        // The summary line when the app marks it (dataset-input-summary), else the whole picker region.
        var sum = r.querySelector('[data-testid$="-summary"]');
        var text = (sum || r).textContent || '';
        // Today's summaries: "<name>: 50,000 files", "<name>: 5 corruption × severity folders; 250,000 files (1.2 s)"
        // or "…; files are listed as the run reaches them (0.4 s)".
        if (S.listedSeenAt === null && /\d[\d,.\u00a0\u202f]*\s+files\b|files are listed as/.test(text)) S.listedSeenAt = now;
        var err = r.querySelector('.error');
        if (err && S.listProblem === null) S.listProblem = [now, err.textContent];
      }
    }
  }, 50);

  var C = cfg.fs;
  if (!C) return;
  var corrs = [], sevsOf = new Map(), cellIndex = new Map(), wnidIndex = new Map();
  C.cells.forEach(function (cs, i) {
    var c = cs[0], s = String(cs[1]);
    if (!sevsOf.has(c)) { corrs.push(c); sevsOf.set(c, []); }
    sevsOf.get(c).push(s);
    cellIndex.set(c + '/' + s, i);
  });
  C.wnids.forEach(function (w, i) { wnidIndex.set(w, i); });
  var NO_CLONE = function () {};
  // Fixture Blobs fetched one by one, when a file that shows that fixture is first opened (a real folder opens one
  // file, not its cell's 50).
  var blobs = new Map();
  var blobOf = function (ci, k) {
    var key = ci + ':' + k, p = blobs.get(key);
    if (!p) {
      S.standin.cellFetches++;
      var cs = C.cells[ci];
      p = fetch(C.fixtureBase + cs[0] + '/' + cs[1] + '/' + k).then(function (r) {
        if (!r.ok) throw new Error('fixture ' + r.url + ': HTTP ' + r.status);
        return r.blob();
      });
      blobs.set(key, p);
    }
    return p;
  };
  var cellBlobs = function (ci) {
    var all = [];
    for (var k = 0; k < C.fixturesPerCell; k++) all.push(blobOf(ci, k));
    return Promise.all(all);
  };
  var ch = new MessageChannel(), waiting = [];
  ch.port1.onmessage = function () { var r = waiting.shift(); if (r) r(); };
  var macrotask = function () { return new Promise(function (r) { waiting.push(r); ch.port2.postMessage(0); }); };
  var stemOf = function (w, j) { return 'ILSVRC2012_val_' + String(w * C.perClass + j + 1).padStart(8, '0'); };
  var STEM = /^ILSVRC2012_val_(\d{8})\.JPEG$/;

  // A node: {d: depth (0 root, 1 corruption, 2 severity, 3 class, 4 file), c, s, w, j}.
  var kids = function (n) {
    switch (n.d) {
      case 0: return { count: corrs.length, dir: true, name: function (i) { return corrs[i]; }, child: function (i) { return { d: 1, c: corrs[i] }; } };
      case 1: { var sv = sevsOf.get(n.c); return { count: sv.length, dir: true, name: function (i) { return sv[i]; }, child: function (i) { return { d: 2, c: n.c, s: sv[i] }; } }; }
      case 2: return { count: S.classLimit ? Math.min(S.classLimit, C.wnids.length) : C.wnids.length, dir: true, name: function (i) { return C.wnids[i]; }, child: function (i) { return { d: 3, c: n.c, s: n.s, w: i }; } };
      case 3: return { count: C.perClass, dir: false, name: function (j) { return stemOf(n.w, j) + '.JPEG'; }, child: function (j) { return { d: 4, c: n.c, s: n.s, w: n.w, j: j }; } };
      default: return { count: 0, dir: false, name: null, child: null };
    }
  };
  var indexOf = function (n, name) {
    switch (n.d) {
      case 0: return corrs.indexOf(name);
      case 1: return sevsOf.get(n.c).indexOf(name);
      case 2: { var w = wnidIndex.get(name); return w === undefined || (S.classLimit && w >= S.classLimit) ? -1 : w; }
      case 3: {
        var m = STEM.exec(name);
        if (!m) return -1;
        var j = Number(m[1]) - 1 - n.w * C.perClass;
        return j >= 0 && j < C.perClass ? j : -1;
      }
      default: return -1;
    }
  };
  var samePath = function (a, b) { return a.d === b.d && a.c === b.c && a.s === b.s && a.w === b.w && a.j === b.j; };
  var own = function (h, kind, name, node) {
    Object.defineProperty(h, 'kind', { value: kind, enumerable: true });
    Object.defineProperty(h, 'name', { value: name, enumerable: true });
    Object.defineProperty(h, '_node', { value: node });
    Object.defineProperty(h, '_noClone', { value: NO_CLONE, enumerable: true });
  };
  var notFound = function (name) { return new DOMException('A requested file or directory could not be found at the time an operation was processed: ' + name, 'NotFoundError'); };

  function StandInDirectoryHandle(name, node) { own(this, 'directory', name, node); }
  function StandInFileHandle(name, node) { own(this, 'file', name, node); }
  if (typeof FileSystemDirectoryHandle === 'function') Object.setPrototypeOf(StandInDirectoryHandle.prototype, FileSystemDirectoryHandle.prototype);
  if (typeof FileSystemFileHandle === 'function') Object.setPrototypeOf(StandInFileHandle.prototype, FileSystemFileHandle.prototype);
  var make = function (k, i) {
    var node = k.child(i), name = k.name(i);
    return k.dir ? new StandInDirectoryHandle(name, node) : new StandInFileHandle(name, node);
  };
  var common = {
    queryPermission: async function () { return 'granted'; },
    requestPermission: async function () { return 'granted'; },
    isSameEntry: async function (other) { return !!other && !!other._node && other.kind === this.kind && samePath(this._node, other._node); },
  };
  [StandInDirectoryHandle.prototype, StandInFileHandle.prototype].forEach(function (p) {
    Object.keys(common).forEach(function (k) { Object.defineProperty(p, k, { value: common[k], writable: true, configurable: true }); });
  });
  var D = StandInDirectoryHandle.prototype;
  var def = function (k, v) { Object.defineProperty(D, k, { value: v, writable: true, configurable: true }); };
  def('entries', async function* () {
    var k = kids(this._node);
    S.standin.dirIterations++;
    for (var i = 0; i < k.count; i++) {
      if (i % C.batch === 0) await macrotask();
      S.standin.entriesYielded++;
      yield [k.name(i), make(k, i)];
    }
  });
  def('values', async function* () { for await (var e of this.entries()) yield e[1]; });
  def('keys', async function* () { for await (var e of this.entries()) yield e[0]; });
  def(Symbol.asyncIterator, function () { return this.entries(); });
  var lookup = async function (self, name, wantDir, opts) {
    S.standin.lookups++;
    var k = kids(self._node), i = indexOf(self._node, String(name));
    if (i < 0) {
      if (opts && opts.create) throw new DOMException('the stand-in folder is read-only', 'NotAllowedError');
      throw notFound(name);
    }
    if (k.dir !== wantDir) throw new DOMException('The path supplied exists, but was not an entry of requested type.', 'TypeMismatchError');
    return make(k, i);
  };
  def('getDirectoryHandle', function (name, opts) { return lookup(this, name, true, opts); });
  def('getFileHandle', function (name, opts) { return lookup(this, name, false, opts); });
  def('removeEntry', async function () { throw new DOMException('the stand-in folder is read-only', 'NotAllowedError'); });
  def('resolve', async function (other) {
    if (!other || !other._node) return null;
    var a = this._node, b = other._node, keys = ['c', 's', 'w', 'j'];
    if (b.d < a.d) return null;
    for (var i = 0; i < a.d; i++) if (a[keys[i]] !== b[keys[i]]) return null;
    var out = [], n = a;
    for (var d = a.d; d < b.d; d++) {
      var k = kids(n), key = keys[d], idx = key === 'c' ? corrs.indexOf(b.c) : key === 's' ? sevsOf.get(b.c).indexOf(b.s) : b[key];
      out.push(k.name(idx));
      n = k.child(idx);
    }
    return out;
  });
  Object.defineProperty(StandInFileHandle.prototype, 'getFile', {
    value: async function () {
      S.standin.getFileCalls++;
      var n = this._node, ci = cellIndex.get(n.c + '/' + n.s);
      var b = await blobOf(ci, (n.w + n.j) % C.fixturesPerCell);
      return new File([b], this.name, { type: 'image/jpeg', lastModified: C.lastModified });
    },
    writable: true, configurable: true,
  });

  // Sizes of the fixture Blobs of cell ci (what getFile() gives file j of class w: blob (w + j) mod count).
  S.cellBlobSizes = async function (ci) { return (await cellBlobs(ci)).map(function (b) { return b.size; }); };
  var root = new StandInDirectoryHandle(C.rootName, { d: 0 });
  // The stand-in's own cost: the app's walk (for await values(), await getFile() one by one) without the app.
  S.walkStandIn = async function (limit, withFiles) {
    var t0 = performance.now(), n = 0, keep = [];
    var walk = async function (d) {
      for await (var h of d.values()) {
        if (n >= limit) return;
        if (h.kind === 'directory') await walk(h);
        else { n++; if (withFiles) keep.push(await h.getFile()); }
      }
    };
    await walk(root);
    var s = (performance.now() - t0) / 1000;
    keep = null;
    return { files: n, seconds: s, withFiles: withFiles };
  };
  window.showDirectoryPicker = async function () { S.pickCalls.push(epoch()); return root; };
})`;

/** The init script's source for one browser session. */
export function pageScript(cfg: PageScriptConfig): string {
  return `${SCRIPT}(${JSON.stringify(cfg)});`;
}
