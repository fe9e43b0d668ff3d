/**
 * AlexNet top-1 ACCURACIES (fractions, error = 1 − accuracy) on RobustBench's 5,000-image ImageNet-C subset,
 * per corruption and severity 1–5: the `AlexNet` row of `model_info/imagenet/corruptions/unaggregated_results.csv`,
 * verbatim, in the CSV's column order. That CSV holds only the 15 common corruptions (no extras).
 * Source: https://github.com/RobustBench/robustbench at commit 78fcc9e48a07a861268f295a777b975f25155964.
 *
 * RobustBench's code is released under the MIT licence (from its LICENSE file):
 * Copyright (c) 2020 Francesco Croce, Maksym Andriushchenko, Vikash Sehwag
 *
 * Permission is hereby granted, free of charge, to any person obtaining a copy
 * of this software and associated documentation files (the "Software"), to deal
 * in the Software without restriction, including without limitation the rights
 * to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 * copies of the Software, and to permit persons to whom the Software is
 * furnished to do so, subject to the following conditions:
 *
 * The above copyright notice and this permission notice shall be included in all
 * copies or substantial portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 * IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 * FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 * AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 * LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 * OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 * SOFTWARE.
 */

export const ROBUSTBENCH_ALEXNET_ACCURACY: Readonly<Record<string, readonly [number, number, number, number, number]>> = {
  shot_noise: [0.2944, 0.1598, 0.0726, 0.0196, 0.012],
  motion_blur: [0.4174, 0.295, 0.1794, 0.1022, 0.0698],
  snow: [0.2788, 0.114, 0.132, 0.085, 0.0502],
  pixelate: [0.4754, 0.4502, 0.267, 0.1288, 0.0858],
  gaussian_noise: [0.311, 0.1814, 0.0724, 0.0214, 0.0058],
  defocus_blur: [0.3404, 0.262, 0.1502, 0.085, 0.0522],
  brightness: [0.5504, 0.514, 0.464, 0.3886, 0.2906],
  fog: [0.3154, 0.2324, 0.157, 0.1214, 0.0556],
  zoom_blur: [0.3028, 0.2308, 0.1936, 0.163, 0.1312],
  frost: [0.3788, 0.1976, 0.1052, 0.0994, 0.0616],
  glass_blur: [0.3486, 0.2412, 0.1126, 0.08, 0.0636],
  impulse_noise: [0.2234, 0.1154, 0.0556, 0.014, 0.0054],
  contrast: [0.3496, 0.2334, 0.1094, 0.0266, 0.0094],
  jpeg_compression: [0.4858, 0.4522, 0.4228, 0.3488, 0.2564],
  elastic_transform: [0.471, 0.3022, 0.44, 0.3568, 0.1898],
};
