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

    /// Counts the windows as they are predicted (progress lines), when set.
    public var windows: WindowCounter?
    /// The case's body box when already known (an ensemble finds it once for all its runs).
    public var bodyBox: VoxelBox?

    /// How probabilities become labels with this predictor's threshold and clean-up.
    public var postprocessOptions: PostprocessOptions {
        PostprocessOptions(liverThreshold: threshold, lesionThreshold: threshold,
                           largestLiverComponent: largestLiverComponent, lesionsInsideLiver: lesionsInsideLiver)
    }

    /// The case's labels: thresholded and cleaned on the preprocessed grid, then mapped back
    /// (nearest neighbour; background outside the body box when the run crops to the body).
    public func predict(_ c: LoadedCase, withProbabilities: Bool = false) -> Result {
        model.setTraining(false)
        let (ct, box) = Preprocessor.imageAndBox(c, options: config.preprocessing, bodyBox: bodyBox)
        let probs = probabilities(ct)
        let small = Postprocess.labels(probabilities: probs, options: postprocessOptions)
        let labels = Self.toSource(small, case: c, box: box)
        let probabilities = withProbabilities ? probs.map { Self.toSource($0, case: c, box: box) } : nil
        return Result(labels: labels, probabilities: probabilities)
    }

    /// One pass of the network, the labels of several post-processing choices (each exactly
    /// what `predict` writes with those options; start from `postprocessOptions`).
    public func predict(_ c: LoadedCase, postprocessing choices: [PostprocessOptions]) -> [LabelMap] {
        model.setTraining(false)
        let (ct, box) = Preprocessor.imageAndBox(c, options: config.preprocessing)
        let probs = probabilities(ct)
        return choices.map { Self.toSource(Postprocess.labels(probabilities: probs, options: $0), case: c, box: box) }
    }

    /// Liver and lesion probabilities mapped back onto the source grid (linear; 0 outside the
    /// body box), before any threshold: what an ensemble averages.
    public func sourceProbabilities(_ c: LoadedCase) -> [Volume<Float>] {
        model.setTraining(false)
        let (ct, box) = Preprocessor.imageAndBox(c, options: config.preprocessing, bodyBox: bodyBox)
        return probabilities(ct).map { Self.toSource($0, case: c, box: box) }
    }

    /// The windows this predictor will run on `c` (on the body box when it crops and `bodyBox`
    /// is known, else the whole grid; a cascade's lesion stage counted on the whole grid, which
    /// its liver box makes fewer): a progress estimate.
    public func expectedWindows(_ c: LoadedCase) -> Int {
        let crop = config.preprocessing.cropToBody == true ? bodyBox : nil
        let shape = Preprocessor.targetShape(for: crop.map { $0.grid(in: c.grid) } ?? c.grid, options: config.preprocessing)
        var n = SlidingWindow.windowCount(shape: shape, options: window)
        if let liver = liverStage { n += SlidingWindow.windowCount(shape: shape, options: liver.window) }
        return n
    }

    /// Labels on the preprocessed grid back onto the source file's grid.
    static func toSource(_ v: LabelMap, case c: LoadedCase, box: VoxelBox?) -> LabelMap {
        let full = c.ct.grid, inBox = box.map { $0.grid(in: full) } ?? full
        let back = Volume(grid: inBox, voxels: Resampler.resample(v, to: inBox.shape).voxels)
        return c.reorientation.toSource(box.map { $0.paste(back, into: full, fill: 0) } ?? back, sourceGrid: c.source.grid)
    }

    /// Probabilities on the preprocessed grid back onto the source file's grid.
    static func toSource(_ p: Volume<Float>, case c: LoadedCase, box: VoxelBox?) -> Volume<Float> {
        let full = c.ct.grid, inBox = box.map { $0.grid(in: full) } ?? full
        let back = Volume(grid: inBox, voxels: Resampler.resample(p, to: inBox.shape, interpolation: .linear).voxels)
        return c.reorientation.toSource(box.map { $0.paste(back, into: full, fill: 0) } ?? back, sourceGrid: c.source.grid)
    }

    /// Liver and lesion probabilities on the preprocessed grid. A liver stage alone gives no
    /// lesions; a cascade runs its liver stage, then the lesion stage on the box around the
    /// liver mask (thresholded, largest component as post-processing would keep it) with that
    /// mask as its second channel; outside the box the lesion probability is 0.
    func probabilities(_ ct: Volume<Float>) -> [Volume<Float>] {
        let tta = testTimeAugmentation, counter = windows
        func counted(_ model: UNet3D) -> (Tensor) -> Tensor {
            { x in
                let y = tta.apply(x, model: model.forward)
                counter?.count(x.shape[0])
                return y
            }
        }
        guard let liver = liverStage else {
            counter?.expect(SlidingWindow.windowCount(shape: ct.shape, options: window))
            let probs = SlidingWindow.predict(ct, options: window, model: counted(model))
            return probs.count == 1 ? [probs[0], Volume(grid: ct.grid, repeating: 0)] : probs
        }
        liver.model.setTraining(false)
        counter?.expect(SlidingWindow.windowCount(shape: ct.shape, options: liver.window))
        return Predictor.cascade(ct, liver: counted(liver.model), liverWindow: liver.window,
                                 lesion: counted(model), lesionWindow: window, marginMM: config.liverMargin ?? 0,
                                 threshold: threshold, largestLiverComponent: largestLiverComponent,
                                 lesionBox: { counter?.expect(SlidingWindow.windowCount(shape: $0, options: self.window)) })
    }

    /// The two stages on one preprocessed CT, each network given as the function it computes.
    static func cascade(_ ct: Volume<Float>, liver: (Tensor) -> Tensor, liverWindow: SlidingWindowOptions,
                        lesion: (Tensor) -> Tensor, lesionWindow: SlidingWindowOptions, marginMM: Double,
                        threshold: Float, largestLiverComponent: Bool,
                        lesionBox: ([Int]) -> Void = { _ in }) -> [Volume<Float>] {
        let liverProbability = SlidingWindow.predict(ct, options: liverWindow, model: liver)[0]
        var mask = liverProbability.voxels.map { $0 > threshold }
        if largestLiverComponent { mask = Postprocess.largestComponent(mask, shape: ct.shape) }
        guard let box = LiverBox(mask: mask, grid: ct.grid, marginMM: marginMM) else {
            return [liverProbability, Volume(grid: ct.grid, repeating: 0)]
        }
        lesionBox(box.shape)
        let lesionProbability = SlidingWindow.predict(channels: box.inputs(ct: ct, liverMask: mask), options: lesionWindow, model: lesion)[1]
        return [liverProbability, box.paste(lesionProbability, into: ct.grid, fill: 0)]
    }
}
