import Foundation
import LiTSCore
import LiTSImaging
import LiTSNet

/// Whole-volume prediction of a raw case: the run's preprocessing (image step), the sliding
/// window, the threshold and post-processing, then back through the inverse resampling and
/// reorientation onto the source file's own grid and affine. Unchecked Sendable: the model is a
/// class with state (its layers' buffers), so one predictor serves one case at a time (`lits
/// predict` runs cases one after another; the model spreads each layer over its workers).
public struct Predictor: @unchecked Sendable {
    public let model: UNet3D
    public let config: InferenceConfig
    public var threshold: Float = 0.5
    public var largestLiverComponent = true
    public var lesionsInsideLiver = true
    public var window: SlidingWindowOptions
    /// Test-time mirroring of every window (both stages of a cascade).
    public var testTimeAugmentation = TestTimeAugmentation.none
    /// A cascade's liver stage, run first when `model` is a lesion stage.
    public var liverStage: (model: UNet3D, window: SlidingWindowOptions)?

    public init(model: UNet3D, config: InferenceConfig) {
        self.model = model
        self.config = config
        window = config.windowOptions
    }

    public struct Result {
        /// Labels 0/1/2 on the source grid (file order), ready for the NIfTI writer.
        public var labels: LabelMap
        /// Liver and lesion probabilities on the source grid, when asked for.
        public var probabilities: [Volume<Float>]?
    }

    public func predict(_ c: LoadedCase, withProbabilities: Bool = false) -> Result {
        model.setTraining(false)
        let ct = Preprocessor.image(c, options: config.preprocessing).ct
        let probs = probabilities(ct)
        let small = Postprocess.labels(probabilities: probs, options: PostprocessOptions(
            liverThreshold: threshold, lesionThreshold: threshold,
            largestLiverComponent: largestLiverComponent, lesionsInsideLiver: lesionsInsideLiver))
        let canonicalGrid = c.ct.grid
        let back = Volume(grid: canonicalGrid, voxels: Resampler.resample(small, to: canonicalGrid.shape).voxels)
        let labels = c.reorientation.toSource(back, sourceGrid: c.source.grid)
        var probabilities: [Volume<Float>]?
        if withProbabilities {
            probabilities = probs.map { p in
                let up = Volume(grid: canonicalGrid, voxels: Resampler.resample(p, to: canonicalGrid.shape, interpolation: .linear).voxels)
                return c.reorientation.toSource(up, sourceGrid: c.source.grid)
            }
        }
        return Result(labels: labels, probabilities: probabilities)
    }

    /// Liver and lesion probabilities on the preprocessed grid. A liver stage alone gives no
    /// lesions; a cascade runs its liver stage, then the lesion stage on the box around the
    /// liver mask (thresholded, largest component as post-processing would keep it) with that
    /// mask as its second channel; outside the box the lesion probability is 0.
    func probabilities(_ ct: Volume<Float>) -> [Volume<Float>] {
        guard let liver = liverStage else {
            let tta = testTimeAugmentation
            let probs = SlidingWindow.predict(ct, options: window) { tta.apply($0, model: self.model.forward) }
            return probs.count == 1 ? [probs[0], Volume(grid: ct.grid, repeating: 0)] : probs
        }
        liver.model.setTraining(false)
        let tta = testTimeAugmentation
        return Predictor.cascade(ct, liver: { tta.apply($0, model: liver.model.forward) }, liverWindow: liver.window,
                                 lesion: { tta.apply($0, model: self.model.forward) }, lesionWindow: window, marginMM: config.liverMargin ?? 0,
                                 threshold: threshold, largestLiverComponent: largestLiverComponent)
    }

    /// The two stages on one preprocessed CT, each network given as the function it computes.
    static func cascade(_ ct: Volume<Float>, liver: (Tensor) -> Tensor, liverWindow: SlidingWindowOptions,
                        lesion: (Tensor) -> Tensor, lesionWindow: SlidingWindowOptions, marginMM: Double,
                        threshold: Float, largestLiverComponent: Bool) -> [Volume<Float>] {
        let liverProbability = SlidingWindow.predict(ct, options: liverWindow, model: liver)[0]
        var mask = liverProbability.voxels.map { $0 > threshold }
        if largestLiverComponent { mask = Postprocess.largestComponent(mask, shape: ct.shape) }
        guard let box = LiverBox(mask: mask, grid: ct.grid, marginMM: marginMM) else {
            return [liverProbability, Volume(grid: ct.grid, repeating: 0)]
        }
        let lesionProbability = SlidingWindow.predict(channels: box.inputs(ct: ct, liverMask: mask), options: lesionWindow, model: lesion)[1]
        return [liverProbability, box.paste(lesionProbability, into: ct.grid, fill: 0)]
    }
}
