import { MAX_RESULT_FILE_CHARS, ResultFileError, parseResultFile, type ResultDocument } from './result-document';

/** One imported result file: its validated document, or the message naming the file and what is wrong with it. */
export type ImportedResultFile = { ok: true; doc: ResultDocument; name: string } | { ok: false; name: string; message: string };

/**
 * Reads, parses and validates one imported result file (in the analysis worker: a 100 MB hostile file must not
 * freeze the tab). The size is checked first, from `file.size`: a file over the limit is rejected without being read.
 * Never throws: every failure comes back as `{ ok: false }` with a message of ResultFileError's form.
 */
export async function importResultFile(file: Blob & { name: string }): Promise<ImportedResultFile> {
  const name = file.name;
  try {
    // Bytes ≥ UTF-16 units for any text, so a file within the byte limit is within parseResultFile's limit too.
    if (file.size > MAX_RESULT_FILE_CHARS) {
      throw new ResultFileError(name, [`${(file.size / 1e6).toFixed(0)} MB is too large for a result file (at most ${MAX_RESULT_FILE_CHARS / 1e6} MB)`]);
    }
    let text: string;
    try {
      text = await file.text();
    } catch (e) {
      throw new ResultFileError(name, [`could not be read (${String((e as Error)?.message ?? e).slice(0, 200)})`]);
    }
    return { ok: true, doc: parseResultFile(text, name), name };
  } catch (e) {
    return { ok: false, name, message: e instanceof ResultFileError ? e.message : `${name.slice(0, 200)}: ${String((e as Error)?.message ?? e).slice(0, 200)}` };
  }
}
