/** The class list a model's output indices refer to. */
export interface LabelSet {
  /** wnid (or class-folder name) at each output index. */
  readonly wnids: readonly string[];
  /** Human-readable name at each output index. */
  readonly names: readonly string[];
  readonly source: string;
}

export class LabelsError extends Error {}

/**
 * Accepts the Keras `imagenet_class_index.json` ({"0": ["n01440764", "tench"], …}), a JSON array of
 * wnids or of [wnid, name] pairs, or a text file with one `<wnid> <names>` per line (synset.txt).
 */
export function parseLabels(text: string, source = 'labels'): LabelSet {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new LabelsError(`${source}: the labels file is empty`);
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return parseJsonLabels(trimmed, source);
  const wnids: string[] = [];
  const names: string[] = [];
  for (const [i, raw] of trimmed.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(\S+)(?:\s+(.*))?$/.exec(line);
    if (!m) throw new LabelsError(`${source}: line ${i + 1} is not "<wnid> <name>"`);
    wnids.push(m[1]);
    names.push(m[2] ?? m[1]);
  }
  return checked({ wnids, names, source });
}

function parseJsonLabels(text: string, source: string): LabelSet {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new LabelsError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const wnids: string[] = [];
  const names: string[] = [];
  const take = (entry: unknown, where: string) => {
    if (typeof entry === 'string') {
      wnids.push(entry);
      names.push(entry);
    } else if (Array.isArray(entry) && typeof entry[0] === 'string') {
      wnids.push(entry[0]);
      names.push(typeof entry[1] === 'string' ? entry[1] : entry[0]);
    } else {
      throw new LabelsError(`${source}: entry ${where} is neither a wnid nor [wnid, name]`);
    }
  };
  if (Array.isArray(data)) {
    data.forEach((e, i) => take(e, String(i)));
  } else if (data && typeof data === 'object') {
    const obj = data as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (!keys.every((k) => /^\d+$/.test(k))) {
      throw new LabelsError(`${source}: expected keys "0", "1", … as in imagenet_class_index.json`);
    }
    const n = keys.length;
    for (let i = 0; i < n; i++) {
      if (!(String(i) in obj)) throw new LabelsError(`${source}: class index ${i} is missing`);
      take(obj[String(i)], String(i));
    }
  } else {
    throw new LabelsError(`${source}: expected an object or an array`);
  }
  return checked({ wnids, names, source });
}

function checked(set: LabelSet): LabelSet {
  if (set.wnids.length === 0) throw new LabelsError(`${set.source}: the labels file lists no classes`);
  const seen = new Map<string, number>();
  set.wnids.forEach((w, i) => {
    const prev = seen.get(w);
    if (prev !== undefined) throw new LabelsError(`${set.source}: "${w}" appears at index ${prev} and ${i}`);
    seen.set(w, i);
  });
  return set;
}

/** ImageFolder numbering: the sorted class folders. Only right when every class is present. */
export function labelsFromSortedFolders(folders: Iterable<string>): LabelSet {
  const wnids = [...new Set(folders)].sort();
  return { wnids, names: wnids, source: 'sorted class folders' };
}

export function indexOfClass(labels: LabelSet): Map<string, number> {
  return new Map(labels.wnids.map((w, i) => [w, i]));
}

/**
 * The class order of a run: the labels given (a file or the card), else — only when the data's class folders
 * number exactly the model's classes — the sorted folders (ImageFolder order). Numbering a subset of folders
 * would give wrong class indices, so that is refused.
 */
export function resolveLabels(given: LabelSet | null, folders: Iterable<string>, numClasses: number): { labels: LabelSet; warnings: string[] } {
  const warnings: string[] = [];
  let labels = given;
  if (!labels) {
    const all = new Set(folders);
    if (all.size !== numClasses) {
      throw new LabelsError(
        `a labels file is needed: the data has ${all.size} class folders but the model has ${numClasses} classes, ` +
          'so numbering the folders would give wrong class indices (give imagenet_class_index.json or a synset file)',
      );
    }
    labels = labelsFromSortedFolders(all);
    warnings.push(`no labels file: classes numbered by the ${numClasses} sorted class folders (ImageFolder order)`);
  }
  if (labels.wnids.length !== numClasses) throw new LabelsError(`the labels list has ${labels.wnids.length} classes but the model outputs ${numClasses}`);
  return { labels, warnings };
}
