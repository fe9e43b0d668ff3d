/** One image's feature map, channel-major (CHW): value of channel k at (y, x) is data[k·H·W + y·W + x]. */
export interface FeatureMap {
  channels: number;
  height: number;
  width: number;
  data: Float32Array;
}

export function checkFeatureMap(f: FeatureMap): number {
  const { channels, height, width, data } = f;
  if (!(channels > 0 && height > 0 && width > 0) || ![channels, height, width].every(Number.isInteger)) {
    throw new Error(`bad feature map shape ${channels}×${height}×${width}`);
  }
  const hw = height * width;
  if (data.length !== channels * hw) throw new Error(`feature map has ${data.length} values, expected ${channels}×${height}×${width} = ${channels * hw}`);
  return hw;
}
