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
        let probs = SlidingWindow.predict(ct, options: window) { self.model.forward($0) }
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
}
