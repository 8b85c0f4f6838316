import Foundation
import LiTSInference

/// What on-the-fly augmentation does to each training patch; saved in the run's `config.json`
/// under `augmentation` (a config without the key, from before augmentation existed, reads as
/// `.off`).
///
/// The defaults are nnU-Net v2's (`nnUNetTrainer.get_training_transforms` with
/// batchgeneratorsv2's transforms), in the order it applies them: spatial (rotation, scaling,
/// elastic: one resampling from the case volume), Gaussian noise, Gaussian blur, brightness,
/// contrast, simulated low resolution, inverted gamma, gamma, mirroring.
public struct AugmentationOptions: Codable, Equatable, Sendable {
    /// A closed interval a parameter is drawn from, uniformly.
    public struct Range: Codable, Equatable, Sendable {
        public var low: Double
        public var high: Double
        public init(_ low: Double, _ high: Double) { (self.low, self.high) = (low, high) }
    }

    /// One transform: applied to a patch with `probability`, its strength drawn from `range`.
    public struct Transform: Codable, Equatable, Sendable {
        public var probability: Double
        public var range: Range
        public init(_ probability: Double, _ range: Range) { (self.probability, self.range) = (probability, range) }
    }

    /// The transforms by name (`lits train --aug NAME=P[:LO,HI]`).
    public enum Name: String, CaseIterable, Codable, Sendable {
        case rotation, scaling, elastic, mirror, noise, blur, brightness, contrast, gamma
        case gammaInverted = "gamma-inverted", lowResolution = "low-resolution"

        /// What the range of the transform means.
        public var rangeMeaning: String {
            switch self {
            case .rotation: return "angle in degrees about each rotated axis"
            case .scaling: return "zoom factor (> 1 magnifies), the same on every scaled axis"
            case .elastic: return "largest displacement in voxels of each control point"
            case .mirror: return "unused: each axis is flipped with the probability"
            case .noise: return "noise variance, in units of intensityUnit squared"
            case .blur: return "Gaussian sigma in voxels, drawn per axis"
            case .brightness: return "multiplier"
            case .contrast: return "contrast factor about the patch mean"
            case .gamma, .gammaInverted: return "gamma exponent"
            case .lowResolution: return "downsampling zoom in (0, 1]"
            }
        }
    }

    public var rotation: Transform
    public var scaling: Transform
    public var elastic: Transform
    /// Probability of flipping each axis.
    public var mirror: Transform
    public var noise: Transform
    public var blur: Transform
    public var brightness: Transform
    public var contrast: Transform
    public var gamma: Transform
    public var gammaInverted: Transform
    public var lowResolution: Transform
    /// nnU-Net's "dummy 2D" augmentation for flat patches (longest side over 3x the shortest, its
    /// ANISO_THRESHOLD): rotation about k only, scaling and elastic displacement in-plane only,
    /// low resolution simulated in-plane only.
    public var inPlaneOnly: Bool
    /// Spacing in voxels of the elastic control grid (nnU-Net v1's elastic sigma was 9-13 voxels).
    public var elasticSpacing: Double
    /// nnU-Net's intensity ranges are in z-scored units (1 = the foreground's standard deviation,
    /// about 50 HU for liver CT); our images are a HU window scaled to [0, 1], so the noise
    /// variance is multiplied by this unit squared (0.1 = 50 HU of the baseline's 500 HU window).
    public var intensityUnit: Double

    /// nnU-Net's rule for flat patches (nnunetv2 configure_rotation_dummyDA_mirroring: dummy 2D
    /// when max(patch) / patch[0] > ANISO_THRESHOLD = 3).
    public static func isFlat(_ patch: PatchSize) -> Bool {
        Double(max(patch.w, patch.h, patch.d)) / Double(patch.d) > 3
    }

    /// nnU-Net's defaults for a patch of this shape.
    public static func nnUNetDefault(patch: PatchSize) -> AugmentationOptions {
        let flat = isFlat(patch)
        return AugmentationOptions(
            // SpatialTransform(p_rotation=0.2, rotation=rotation_for_DA): +-30 deg about each axis
            // in 3D, +-180 deg in-plane for dummy 2D.
            rotation: Transform(0.2, flat ? Range(-180, 180) : Range(-30, 30)),
            // p_scaling=0.2, scaling=(0.7, 1.4), p_synchronize_scaling_across_axes=1.
            scaling: Transform(0.2, Range(0.7, 1.4)),
            // p_elastic_deform=0: off by default in nnU-Net v2.
            elastic: Transform(0, Range(0, 3)),
            // MirrorTransform(allowed_axes=(0, 1, 2)): each axis with probability 0.5.
            mirror: Transform(0.5, Range(0, 0)),
            // GaussianNoiseTransform(noise_variance=(0, 0.1)), apply_probability=0.1.
            noise: Transform(0.1, Range(0, 0.1)),
            // GaussianBlurTransform(blur_sigma=(0.5, 1.0), synchronize_axes=False, p_per_channel=0.5),
            // apply_probability=0.2: 0.2 x 0.5 = 0.1 for our one channel.
            blur: Transform(0.1, Range(0.5, 1.0)),
            // MultiplicativeBrightnessTransform(multiplier_range=(0.75, 1.25)), apply_probability=0.15.
            brightness: Transform(0.15, Range(0.75, 1.25)),
            // ContrastTransform(contrast_range=BGContrast((0.75, 1.25)), preserve_range=True), 0.15.
            contrast: Transform(0.15, Range(0.75, 1.25)),
            // GammaTransform(gamma=BGContrast((0.7, 1.5)), p_invert_image=0, retain_stats), 0.3.
            gamma: Transform(0.3, Range(0.7, 1.5)),
            // GammaTransform(..., p_invert_image=1, retain_stats), apply_probability=0.1.
            gammaInverted: Transform(0.1, Range(0.7, 1.5)),
            // SimulateLowResolutionTransform(scale=(0.5, 1), p_per_channel=0.5), apply_probability=0.25:
            // 0.25 x 0.5 = 0.125 for one channel.
            lowResolution: Transform(0.125, Range(0.5, 1)),
            inPlaneOnly: flat, elasticSpacing: 10, intensityUnit: 0.1)
    }

    /// Every probability 0: the patches as the sampler cut them (today's training, bit for bit).
    /// The ranges are nnU-Net's, so `--augment none --aug NAME=P` turns on one transform.
    public static func off(patch: PatchSize) -> AugmentationOptions {
        var o = nnUNetDefault(patch: patch)
        for name in Name.allCases { o[name].probability = 0 }
        return o
    }

    /// `off` for the baseline patch: what a config.json without `augmentation` means.
    public static let off = off(patch: .baseline)

    public subscript(name: Name) -> Transform {
        get {
            switch name {
            case .rotation: return rotation
            case .scaling: return scaling
            case .elastic: return elastic
            case .mirror: return mirror
            case .noise: return noise
            case .blur: return blur
            case .brightness: return brightness
            case .contrast: return contrast
            case .gamma: return gamma
            case .gammaInverted: return gammaInverted
            case .lowResolution: return lowResolution
            }
        }
        set {
            switch name {
            case .rotation: rotation = newValue
            case .scaling: scaling = newValue
            case .elastic: elastic = newValue
            case .mirror: mirror = newValue
            case .noise: noise = newValue
            case .blur: blur = newValue
            case .brightness: brightness = newValue
            case .contrast: contrast = newValue
            case .gamma: gamma = newValue
            case .gammaInverted: gammaInverted = newValue
            case .lowResolution: lowResolution = newValue
            }
        }
    }

    /// True when no transform can fire: training skips augmentation entirely.
    public var isOff: Bool { Name.allCases.allSatisfy { self[$0].probability == 0 } }

    /// The transforms that can fire, with their probabilities, for the run's index.md.
    public var summary: String {
        let on = Name.allCases.filter { self[$0].probability > 0 }
        guard !on.isEmpty else { return "none" }
        return on.map { n in
            let t = self[n]
            let p = String(format: "p %.3g", t.probability)
            return n == .mirror ? "\(n.rawValue) (\(p) per axis)" : "\(n.rawValue) (\(p), \(t.range.low)...\(t.range.high))"
        }.joined(separator: ", ") + (inPlaneOnly ? "; spatial in-plane only (flat patch)" : "")
    }

    /// A readable reason when a value is out of range, or nil.
    public var problem: String? {
        for name in Name.allCases {
            let t = self[name], r = t.range
            guard t.probability.isFinite, (0...1).contains(t.probability) else {
                return "augmentation \(name.rawValue): probability must be in [0, 1], got \(t.probability)"
            }
            guard r.low.isFinite, r.high.isFinite, r.low <= r.high else {
                return "augmentation \(name.rawValue): range must be finite with low <= high, got \(r.low),\(r.high)"
            }
            let positive: Bool
            switch name {
            case .scaling, .brightness, .contrast, .gamma, .gammaInverted: positive = r.low > 0
            case .lowResolution: positive = r.low > 0 && r.high <= 1
            case .noise, .blur, .elastic: positive = r.low >= 0
            case .rotation, .mirror: positive = true
            }
            guard positive else {
                return "augmentation \(name.rawValue): range \(r.low),\(r.high) out of bounds (\(name.rangeMeaning))"
            }
        }
        guard elasticSpacing.isFinite, elasticSpacing >= 1 else { return "augmentation: elastic spacing must be at least 1 voxel" }
        guard intensityUnit.isFinite, intensityUnit > 0 else { return "augmentation: intensity unit must be positive" }
        return nil
    }
}

extension KeyedDecodingContainer {
    /// A `config.json` written before augmentation existed has no `augmentation` key: it trained
    /// without, so it reads as `.off` (the synthesized `TrainOptions` decoder calls this overload).
    func decode(_ type: AugmentationOptions.Type, forKey key: Key) throws -> AugmentationOptions {
        try decodeIfPresent(type, forKey: key) ?? .off
    }
}
