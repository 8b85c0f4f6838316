// LiTSInference: a trained run applied to new cases. The run's preprocessing repeated
// (image step only), the sliding window over the whole volume, threshold and post-processing,
// and the way back onto each source file's grid and affine. Training depends on this module for
// its validation; nothing here knows how a model was trained.
