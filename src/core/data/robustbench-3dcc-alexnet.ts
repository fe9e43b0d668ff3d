/**
 * AlexNet top-1 ACCURACIES (fractions, error = 1 − accuracy) on ImageNet-3DCC (Kar et al., "3D Common Corruptions
 * and Data Augmentation", CVPR 2022) as RobustBench measured them on ITS 5,000-image subset, per corruption and
 * severity 1–5: the `AlexNet` row of `model_info/imagenet/corruptions/unaggregated_results_3d.csv`, verbatim (the file
 * holds that row twice, identically), in the CSV's column order. RobustBench's `corruptions_mce_3d` divides a model's
 * mean error per corruption by AlexNet's from this row (robustbench/eval.py `corruptions_evaluation`). The 3DCC
 * authors publish no AlexNet table of their own, so this is the only normalisation there is, and it is relative to
 * RobustBench's AlexNet run on its subset, not to a full-ImageNet-val AlexNet.
 * Source: https://github.com/RobustBench/robustbench at commit 78fcc9e48a07a861268f295a777b975f25155964 (the file last
 * changed at fe235fb665518170a5c2de53a2386dc348cf18f6); AlexNet's model_info JSON there gives corruptions_acc_3d 28.47.
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
export const ROBUSTBENCH_3DCC_ALEXNET_ACCURACY: Readonly<Record<string, readonly [number, number, number, number, number]>> = {
  near_focus: [0.4616, 0.4192, 0.3822, 0.3554, 0.3282],
  far_focus: [0.4722, 0.3902, 0.3314, 0.29, 0.2586],
  bit_error: [0.4432, 0.4, 0.3272, 0.263, 0.1498],
  color_quant: [0.551, 0.5388, 0.5018, 0.3306, 0.0968],
  flash: [0.2858, 0.248, 0.2082, 0.156, 0.0958],
  fog_3d: [0.4374, 0.2808, 0.1852, 0.1328, 0.096],
  h265_abr: [0.498, 0.4836, 0.4494, 0.3626, 0.3694],
  h265_crf: [0.5028, 0.5012, 0.4886, 0.4496, 0.4318],
  iso_noise: [0.1308, 0.1052, 0.0658, 0.0286, 0.012],
  low_light: [0.2832, 0.2364, 0.1874, 0.1246, 0.056],
  xy_motion_blur: [0.3028, 0.209, 0.153, 0.1156, 0.0954],
  z_motion_blur: [0.2792, 0.2308, 0.193, 0.166, 0.1516],
};
