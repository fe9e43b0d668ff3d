/**
 * Class-activation-map math: pure TypeScript (no DOM, no Node APIs), for browsers, workers and Node.
 * Conventions follow pytorch-grad-cam (github.com/jacobgil/pytorch-grad-cam) unless a function says otherwise.
 */
export { type FeatureMap } from './feature-map';
export { gradCamLinear, gradCamConvReluGap, convReluPositiveCount, weightedChannelSum } from './grad-cam';
export { eigenCam, eigenProjection, leadingEigenvector } from './eigen-cam';
export {
  scoreCam,
  scoreCamWeights,
  scoreCamMask,
  scoreCamChannels,
  type ScoreCamForward,
  type ScoreCamOptions,
  type ScoreCamWeights,
} from './score-cam';
export { normalizeCam, argmaxLocation, pearson } from './stats';
export { upsampleBilinear, upsampleBilinearAlignCorners } from './resample';
export { overlayRgba, colormapLut, type CamColormap } from './colormap';
export { vitClsAttention, clsAttentionMap, isClsAttentionShape, type AttentionGrid } from './vit';
