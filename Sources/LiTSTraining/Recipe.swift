import Foundation
import LiTSAnalysis
import LiTSCore
import LiTSImaging
import LiTSInference
import LiTSNet
import LiTSRender

/// A named set of training settings (`lits train --recipe`); every option given on the command
/// line overrides the recipe's value for it.
public enum Recipe: String, Codable, CaseIterable, Sendable {
    /// The Keras baseline exactly: HU window [-100, 400], 168x168 in-plane and 2 mm slices,
    /// min-max, 168x168x16 patches of 3 volumes x 4 patches, filters 64,128,256,256, uniform
    /// slabs, Jaccard loss, no augmentation, ReduceLROnPlateau (factor 0.5, patience 3).
    case baseline
    /// The best setting measured (benchmarks/generalisation.md: augmentation, spacing and
    /// region-balanced sampling together 0.822 against 0.558 for the old defaults; poly and
    /// contrast-phase brightness on top 0.831 at 1,200 steps): every axis resampled to the
    /// dataset fingerprint's target spacing, nnU-Net's augmentation with half of the patches'
    /// brightness multiplied by 0.6-1.4, region-balanced sampling, poly decay, 96x96x16 patches,
    /// filters 16,32,64,128, 1 volume x 2 patches, lr 0.003, 48 epochs of 25 batches; each case
    /// cropped to its body's bounding box (nnU-Net's crop to non-zero).
    case `default`

    /// What the recipe sets, in words, for the run page and `--help`.
    public var settings: [String] {
        switch self {
        case .baseline:
            return ["HU window [-100, 400]", "168 x 168 in-plane, 2 mm slices", "patch 168x168x16", "3 volumes x 4 patches a batch",
                    "filters 64,128,256,256", "sampling uniform (random slab)", "loss Jaccard", "no augmentation",
                    "Adam lr 0.001, ReduceLROnPlateau factor 0.5 patience 3", "20 epochs of 50 batches"]
        case .default:
            return ["HU window [-100, 400]", "every axis to the dataset fingerprint's target spacing (nnU-Net's median rule)",
                    "patch 96x96x16", "1 volume x 2 patches a batch", "filters 16,32,64,128",
                    "sampling region-balanced (40% liver by thirds, 30% lesion)", "loss Jaccard",
                    "augmentation nnU-Net default + contrast-phase brightness (half the patches x 0.6-1.4)",
                    "Adam lr 0.003, poly decay", "48 epochs of 25 batches", "each case cropped to its body's bounding box"]
        }
    }
}

/// How patches are placed, by name (`--sampling`).
public enum SamplingKind: String, Codable, CaseIterable, Sendable {
    case uniform, liverBiased = "liver-biased", regionBalanced = "region-balanced"
}

/// An augmentation preset, by name (`--augment`).
public enum AugmentationPreset: String, Codable, CaseIterable, Sendable {
    case none, `default`
}

/// One transform over the preset (`--aug NAME=P[:LO,HI]`).
public struct AugmentOverride: Codable, Equatable, Sendable {
    public var name: AugmentationOptions.Name
    public var probability: Double
    public var range: AugmentationOptions.Range?

    public init(name: AugmentationOptions.Name, probability: Double, range: AugmentationOptions.Range?) {
        (self.name, self.probability, self.range) = (name, probability, range)
    }

    var text: String {
        "\(name.rawValue)=\(probability)" + (range.map { ":\($0.low),\($0.high)" } ?? "")
    }

    func apply(to options: inout AugmentationOptions) {
        options[name].probability = probability
        if let range { options[name].range = range }
    }
}

/// The training options as given on the command line: nil where an option was not given.
public struct TrainChoices: Equatable, Sendable {
    public var recipe: Recipe?
    public var patch: PatchSize?
    public var filters: [Int]?
    public var volumesPerBatch: Int?
    public var patchesPerVolume: Int?
    public var epochs: Int?
    public var batchesPerEpoch: Int?
    public var sampling: SamplingKind?
    public var pLiver: Double?
    public var pLesion: Double?
    public var augment: AugmentationPreset?
    public var aug: [AugmentOverride] = []
    public var loss: LossFunction?
    public var learningRate: Float?
    public var lrSchedule: LRSchedule?
    public var lrFactor: Double?
    public var lrPatience: Int?
    public var dropout: Float?
    public var residual: Bool?
    public var norm: Normalization?
    public var overlap: Double?
    public var seed: UInt64?
    public var stage: CascadeStage?
    public var liverMargin: Double?
    public var liverRun: String?
    public var split: String?
    public var precision: ConvolutionPrecision?
    /// The run page's figure format: not part of what is trained (nil: PNG).
    public var figures: FigureFormat?
    /// Preprocessing of raw data.
    public var window: HUWindow?
    public var inPlaneSize: [Int]?
    public var sliceSpacing: Double?
    public var targetSpacing: [Double]?
    public var cropToBody: Bool?
    /// `--labels` as typed (the label mapping of raw data; set for the process when parsed).
    public var labels: String?

    public init() {}

    /// Every option given, as typed ("--lr 0.1"), in the order `--help` lists them (without
    /// --recipe, --threads and --figures, which do not change what is trained).
    public var given: [String] {
        func f(_ x: Double) -> String { String(x) }
        var out: [String] = []
        func add(_ name: String, _ value: String?) { if let value { out.append(value.isEmpty ? name : "\(name) \(value)") } }
        add("--patch", patch.map { "\($0.w),\($0.h),\($0.d)" })
        add("--filters", filters.map { $0.map(String.init).joined(separator: ",") })
        add("--volumes-per-batch", volumesPerBatch.map(String.init))
        add("--patches-per-volume", patchesPerVolume.map(String.init))
        add("--epochs", epochs.map(String.init))
        add("--batches-per-epoch", batchesPerEpoch.map(String.init))
        add("--sampling", sampling?.rawValue)
        add("--p-liver", pLiver.map(f))
        add("--p-lesion", pLesion.map(f))
        add("--augment", augment?.rawValue)
        for a in aug { add("--aug", a.text) }
        add("--loss", loss?.rawValue)
        add("--lr", learningRate.map { String($0) })
        add("--lr-schedule", lrSchedule?.rawValue)
        add("--lr-factor", lrFactor.map(f))
        add("--lr-patience", lrPatience.map(String.init))
        add("--dropout", dropout.map { String($0) })
        add("--residual", residual == true ? "" : nil)
        add("--norm", norm?.rawValue)
        add("--overlap", overlap.map(f))
        add("--split", split)
        add("--stage", stage?.rawValue)
        add("--liver-run", liverRun)
        add("--liver-margin", liverMargin.map(f))
        add("--seed", seed.map(String.init))
        add("--precision", precision?.rawValue)
        add("--window", window.map { "\($0.low),\($0.high)" })
        add("--size", inPlaneSize.map { $0.map(String.init).joined(separator: "x") })
        add("--slice-spacing", sliceSpacing.map(f))
        add("--spacing", targetSpacing.map { $0.map(f).joined(separator: ",") })
        add(cropToBody == false ? "--no-crop-body" : "--crop-body", cropToBody.map { _ in "" })
        add("--labels", labels)
        return out
    }

    /// Options that change the model, the data or the schedule of a run: what `--resume` refuses.
    /// `--epochs` is left out: it extends (or shortens nothing of) a run.
    public var givenExceptEpochs: [String] {
        var c = self
        c.epochs = nil
        return (recipe.map { ["--recipe \($0.rawValue)"] } ?? []) + c.given
    }

    /// The recipe and the given options resolved into the run's options. `fingerprintSpacing` is
    /// called only when the recipe takes its spacing from the data and none was given (nil: the
    /// data are preprocessed already, and their manifest's preprocessing is the run's).
    public func resolve(fingerprintSpacing: () throws -> [Double]?) throws -> (TrainOptions, PreprocessOptions) {
        let recipe = self.recipe ?? .default
        var o = TrainOptions()
        var pre = PreprocessOptions()
        pre.window = HUWindow.liver
        switch recipe {
        case .baseline:
            o.patch = .baseline
            o.model.filters = [64, 128, 256, 256]
            (o.volumesPerBatch, o.patchesPerVolume) = (3, 4)
            (o.epochs, o.batchesPerEpoch) = (20, 50)
            o.sampling = .uniform
            o.augmentation = .off(patch: patch ?? o.patch)
            o.learningRate = 1e-3
            o.lrSchedule = .plateau
            pre.inPlaneSize = [168, 168]
            pre.sliceSpacing = 2
        case .default:
            o.patch = PatchSize(d: 16, h: 96, w: 96)
            o.model.filters = [16, 32, 64, 128]
            (o.volumesPerBatch, o.patchesPerVolume) = (1, 2)
            (o.epochs, o.batchesPerEpoch) = (48, 25)
            o.sampling = .regionBalanced(pLiver: 0.4, pLesion: 0.3)
            o.augmentation = Recipe.defaultAugmentation(patch: patch ?? o.patch)
            o.learningRate = 3e-3
            o.lrSchedule = .poly
            pre.cropToBody = true
        }
        o.loss = .jaccard
        (o.lrFactor, o.lrPatience) = (0.5, 3)
        // Options given on the command line win over the recipe.
        if let patch { o.patch = patch }
        if let filters { o.model.filters = filters }
        if let volumesPerBatch { o.volumesPerBatch = volumesPerBatch }
        if let patchesPerVolume { o.patchesPerVolume = patchesPerVolume }
        if let epochs { o.epochs = epochs }
        if let batchesPerEpoch { o.batchesPerEpoch = batchesPerEpoch }
        if sampling != nil || pLiver != nil || pLesion != nil {
            let (l0, t0) = o.sampling.probabilities ?? (0.4, 0.3)
            let (l, t) = (pLiver ?? l0, pLesion ?? t0)
            switch sampling ?? SamplingKind(o.sampling) {
            case .uniform: o.sampling = .uniform
            case .liverBiased: o.sampling = .liverBiased(pLiver: l, pLesion: t)
            case .regionBalanced: o.sampling = .regionBalanced(pLiver: l, pLesion: t)
            }
        }
        if let augment {
            o.augmentation = augment == .none ? .off(patch: o.patch) : .nnUNetDefault(patch: o.patch)
        }
        for a in aug { a.apply(to: &o.augmentation) }
        if let loss { o.loss = loss }
        if let learningRate { o.learningRate = learningRate }
        if let lrSchedule { o.lrSchedule = lrSchedule }
        if let lrFactor { o.lrFactor = lrFactor }
        if let lrPatience { o.lrPatience = lrPatience }
        if let dropout { o.model.dropout = dropout }
        if let residual { o.model.residual = residual }
        if let norm { o.model.norm = norm }
        if let overlap { o.overlap = overlap }
        if let seed { (o.seed, o.model.seed) = (seed, seed) }
        o.stage = stage ?? .joint
        o.liverMargin = o.stage == .lesion ? (liverMargin ?? 10) : nil
        o.precision = precision ?? .fp32
        o.figures = figures ?? .png
        if let window { pre.window = window }
        if let inPlaneSize { pre.inPlaneSize = inPlaneSize }
        if let sliceSpacing { pre.sliceSpacing = sliceSpacing }
        if let cropToBody { pre.cropToBody = cropToBody }
        if let targetSpacing {
            pre.targetSpacing = targetSpacing
        } else if recipe == .default, inPlaneSize == nil, sliceSpacing == nil {
            pre.targetSpacing = try fingerprintSpacing()
        }
        o.recipe = RecipeRecord(name: recipe, settings: recipe.settings, overrides: given)
        return (o, pre)
    }
}

extension SamplingKind {
    init(_ mode: SamplingMode) {
        switch mode {
        case .uniform: self = .uniform
        case .liverBiased: self = .liverBiased
        case .regionBalanced: self = .regionBalanced
        }
    }
}

extension Recipe {
    /// nnU-Net's transforms, with the brightness for other contrast phases the benchmarks measured
    /// (`--aug brightness=0.5:0.6,1.4`: a portal-venous liver of 119 HU shown as 31-207 HU).
    public static func defaultAugmentation(patch: PatchSize) -> AugmentationOptions {
        var a = AugmentationOptions.nnUNetDefault(patch: patch)
        a.brightness = AugmentationOptions.Transform(0.5, AugmentationOptions.Range(0.6, 1.4))
        return a
    }

    /// The target spacing of the dataset fingerprint (nnU-Net's rule, as `lits eda`'s
    /// `Fingerprint.suggestedTargetSpacing`): the median canonical spacing per axis, and on an axis
    /// whose median is more than 3x the finest, the 10th percentile instead. Read from the
    /// headers of every labelled case.
    public static func fingerprintSpacing(_ cases: [Case]) throws -> [Double] {
        let spacings = try cases.map { c -> [Double] in
            let grid = try NIfTIReader.readSource(path: c.volumePath).grid
            return Reorientation(sourceGrid: grid).canonicalGrid(of: grid).spacing
        }
        return targetSpacing(spacings)
    }

    static func targetSpacing(_ spacings: [[Double]]) -> [Double] {
        guard !spacings.isEmpty else { return [1, 1, 1] }
        let target = Fingerprint.targetSpacing(spacings).target
        // Rounded to 0.001 mm, so a run's config.json reads as a spacing a user would type.
        return target.map { ($0 * 1000).rounded() / 1000 }
    }
}

/// What config.json records of the recipe: its name, what it set, and what the command line
/// overrode.
public struct RecipeRecord: Codable, Equatable, Sendable {
    public var name: Recipe
    public var settings: [String]
    public var overrides: [String]
}
