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
    /// The cascade stage (nil in runs from before the cascade: joint).
    public var stage: CascadeStage?
    /// A lesion stage's liver run, run first by `lits predict`.
    public var liverRun: LiverRunReference?
    /// A lesion stage's margin in mm around the liver's bounding box.
    public var liverMargin: Double?
    /// What the run was trained in (nil: fp32); `lits predict` predicts in it where the CPU can.
    public var precision: ConvolutionPrecision?

    public init(model: UNetConfig, patch: PatchSize, preprocessing: PreprocessOptions,
                overlap: Double = 0.5, blending: Blending = .gaussian, stage: CascadeStage? = nil,
                liverRun: LiverRunReference? = nil, liverMargin: Double? = nil, precision: ConvolutionPrecision? = nil) {
        self.model = model
        self.patch = patch
        self.preprocessing = preprocessing
        self.overlap = overlap
        self.blending = blending
        self.stage = stage
        self.liverRun = liverRun
        self.liverMargin = liverMargin
        self.precision = precision
    }

    /// The channels each stage's model must have (inputs, outputs).
    public static func channels(of stage: CascadeStage) -> (input: Int, output: Int) {
        switch stage {
        case .joint: return (1, 2)
        case .liver: return (1, 1)
        case .lesion: return (2, 2)
        }
    }

    /// A reason when the configuration (read back from a file a user may have edited) cannot be
    /// used, or nil.
    public var problem: String? {
        if let p = model.configurationProblem { return "model: \(p)" }
        if patch.d < 1 || patch.h < 1 || patch.w < 1 { return "patch sides must be positive, got \(patch)" }
        if let p = model.problem(withInput: [1, model.inChannels, patch.d, patch.h, patch.w]) { return "patch: \(p)" }
        if !(overlap >= 0 && overlap < 1) { return "overlap must be in [0, 1), got \(overlap)" }
        if let p = Preprocessor.problem(preprocessing) { return "preprocessing: \(p)" }
        let stage = stage ?? .joint
        let channels = InferenceConfig.channels(of: stage)
        if model.inChannels != channels.input || model.outChannels != channels.output {
            return "a \(stage.rawValue) model has \(channels.input) input and \(channels.output) output channels, the config says \(model.inChannels) and \(model.outChannels)"
        }
        if stage == .lesion {
            if liverRun == nil { return "a lesion stage needs its liverRun" }
            if !(liverMargin.map { $0 >= 0 && $0.isFinite } ?? false) { return "a lesion stage needs a liverMargin of 0 mm or more" }
        }
        return nil
    }

    /// The sliding window that validation and `lits predict` share.
    public var windowOptions: SlidingWindowOptions {
        var w = SlidingWindowOptions(patch: patch, overlap: overlap, blending: blending, batchSize: 2, padding: .nearestSlice)
        w.sideDivisor = model.sideDivisor
        return w
    }
}
