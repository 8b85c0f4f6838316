// LiTSTraining: patch sampler, training loop, validation, sliding-window inference.
