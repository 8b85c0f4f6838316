import Foundation
import LiTSCore
import LiTSInference
import LiTSNet

/// Applies `AugmentationOptions` to sampled patches, in nnU-Net's order. Each patch draws from
/// its own generator seeded with (run seed, epoch, item), so the result depends neither on
/// threads nor on where a run was resumed.
public struct Augmenter: Sendable {
    public let options: AugmentationOptions
    /// Image value outside the volume (the sampler's padding).
    public var padValue: Float = 0

    public init(options: AugmentationOptions, padValue: Float = 0) {
        precondition(options.problem == nil, options.problem ?? "")
        self.options = options
        self.padValue = padValue
    }

    /// The generator seed of item `item` (its place in the epoch) from the epoch's seed.
    public static func itemSeed(epochSeed: UInt64, item: Int) -> UInt64 {
        var g = SeededGenerator(seed: epochSeed &+ UInt64(item) &* 0xD1B5_4A32_D192_ED03)
        return g.next()
    }

    /// `patches` (all cut from `image` / `labels`) augmented in parallel, patch n with `seeds[n]`.
    /// `extraChannels` are the further inputs the patches were cut from (the cascade's liver mask):
    /// they move with the image (trilinear, 0 outside) and get no intensity transform.
    public func augment(_ patches: [SampledPatch], image: Volume<Float>, labels: LabelMap, seeds: [UInt64],
                        extraChannels: [Volume<Float>] = []) -> [SampledPatch] {
        precondition(seeds.count == patches.count, "one seed per patch")
        var out = patches
        out.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Parallel.perform(iterations: patches.count) { n in
                base[n] = augment(patches[n], image: image, labels: labels, seed: seeds[n], extraChannels: extraChannels).patch
            }
        }
        return out
    }

    /// One patch, with the names of the transforms that fired.
    public func augment(_ patch: SampledPatch, image: Volume<Float>, labels: LabelMap, seed: UInt64,
                        extraChannels: [Volume<Float>] = []) -> (patch: SampledPatch, applied: [String]) {
        precondition(extraChannels.count == patch.extraChannels.count, "the patch's channels come from these volumes")
        let o = options
        var rng = SeededGenerator(seed: seed)
        var applied: [String] = []
        var p = patch
        let size = patch.size

        // Spatial: one resampling from the volume for rotation, scaling and elastic displacement.
        var degrees = (i: 0.0, j: 0.0, k: 0.0), zoom = (i: 1.0, j: 1.0, k: 1.0)
        var field: ElasticField? = nil
        if rng.chance(o.rotation.probability) {
            applied.append("rotation")
            degrees.k = rng.uniform(o.rotation.range)
            if !o.inPlaneOnly { degrees.i = rng.uniform(o.rotation.range); degrees.j = rng.uniform(o.rotation.range) }
        }
        if rng.chance(o.scaling.probability) {
            applied.append("scaling")
            let s = rng.uniform(o.scaling.range)
            zoom = (s, s, o.inPlaneOnly ? 1 : s)
        }
        if rng.chance(o.elastic.probability) {
            applied.append("elastic")
            field = ElasticField(size: size, magnitude: rng.uniform(o.elastic.range), spacing: o.elasticSpacing,
                                 inPlaneOnly: o.inPlaneOnly, rng: &rng)
        }
        if !applied.isEmpty {
            let spatial = SpatialResampling(matrix: SpatialResampling.matrix(degrees: degrees, zoom: zoom), displacement: field)
            (p.image, p.labels) = spatial.resample(image: image, labels: labels, origin: patch.origin, size: size, padValue: padValue)
            p.extraChannels = extraChannels.map {
                spatial.resample(image: $0, labels: labels, origin: patch.origin, size: size, padValue: 0).image
            }
        }

        // Intensity, on the image only.
        if rng.chance(o.noise.probability) {
            applied.append("noise")
            GaussianNoise.apply(&p.image, sigma: rng.uniform(o.noise.range).squareRoot() * o.intensityUnit, rng: &rng)
        }
        if rng.chance(o.blur.probability) {
            applied.append("blur")
            let sigma = (i: rng.uniform(o.blur.range), j: rng.uniform(o.blur.range), k: rng.uniform(o.blur.range))
            GaussianBlur.apply(&p.image, size: size, sigma: sigma)
        }
        if rng.chance(o.brightness.probability) {
            applied.append("brightness")
            Brightness.apply(&p.image, multiplier: rng.uniform(o.brightness.range))
        }
        if rng.chance(o.contrast.probability) {
            applied.append("contrast")
            Contrast.apply(&p.image, factor: rng.factorAroundOne(o.contrast.range))
        }
        if rng.chance(o.lowResolution.probability) {
            applied.append("low-resolution")
            LowResolution.apply(&p.image, size: size, zoom: rng.uniform(o.lowResolution.range), inPlaneOnly: o.inPlaneOnly)
        }
        if rng.chance(o.gammaInverted.probability) {
            applied.append("gamma-inverted")
            Gamma.apply(&p.image, gamma: rng.factorAroundOne(o.gammaInverted.range), inverted: true)
        }
        if rng.chance(o.gamma.probability) {
            applied.append("gamma")
            Gamma.apply(&p.image, gamma: rng.factorAroundOne(o.gamma.range), inverted: false)
        }

        // Mirroring, image and labels alike.
        let flip = (i: rng.chance(o.mirror.probability), j: rng.chance(o.mirror.probability), k: rng.chance(o.mirror.probability))
        if flip.i || flip.j || flip.k {
            applied.append("mirror " + [flip.i ? "i" : "", flip.j ? "j" : "", flip.k ? "k" : ""].joined())
            Mirror.apply(&p.image, size: size, i: flip.i, j: flip.j, k: flip.k)
            Mirror.apply(&p.labels, size: size, i: flip.i, j: flip.j, k: flip.k)
            for c in p.extraChannels.indices { Mirror.apply(&p.extraChannels[c], size: size, i: flip.i, j: flip.j, k: flip.k) }
        }
        p.liverVoxels = p.labels.reduce(0) { $0 + ($1 >= 1 ? 1 : 0) }
        p.lesionVoxels = p.labels.reduce(0) { $0 + ($1 == Label.tumor ? 1 : 0) }
        return (p, applied)
    }
}
