import Foundation
import LiTSImaging
import LiTSNet

/// What prediction needs from a run's `config.json`: the model, the window it was trained on and
/// how its inputs were preprocessed. Decoded from the same file as the full training options
/// (unknown keys are ignored), so prediction does not depend on how the model was trained.
public struct InferenceConfig: Codable, Equatable, Sendable {
    public var model: UNetConfig
    public var patch: PatchSize
    public var preprocessing: PreprocessOptions
    public var overlap: Double
    public var blending: Blending

    public init(model: UNetConfig, patch: PatchSize, preprocessing: PreprocessOptions,
                overlap: Double = 0.5, blending: Blending = .gaussian) {
        self.model = model
        self.patch = patch
        self.preprocessing = preprocessing
        self.overlap = overlap
        self.blending = blending
    }

    /// The sliding window that validation and `lits predict` share.
    public var windowOptions: SlidingWindowOptions {
        var w = SlidingWindowOptions(patch: patch, overlap: overlap, blending: blending, batchSize: 2)
        w.sideDivisor = model.sideDivisor
        return w
    }
}
