// LiTSTraining: patch sampler, training loop, validation (through LiTSInference's sliding window), run folders.
