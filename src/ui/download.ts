/** Saves text as a file through a temporary object URL. */
export function downloadText(text: string, fileName: string, type = 'application/json'): void {
  downloadBlob(new Blob([text], { type }), fileName);
}

/** Saves a Blob (a zip of generated images, say) as a file through a temporary object URL. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}


/** Saves a canvas (a chart, a heatmap) as a PNG file. */
export function downloadCanvasPng(canvas: HTMLCanvasElement, fileName: string): void {
  canvas.toBlob((blob) => blob && downloadBlob(blob, fileName), 'image/png');
}

/** A file name from free text (a model name from an imported JSON, say). */
export const safeFileName = (s: string, fallback = 'shiftlens'): string => s.replace(/[^\w.-]+/g, '_').slice(0, 80) || fallback;
