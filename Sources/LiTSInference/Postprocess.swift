import Foundation
import LiTSCore
import LiTSImaging

/// How probability volumes become a label map.
public struct PostprocessOptions: Codable, Equatable, Sendable {
    /// Liver where p_liver > threshold (channel 0: liver including tumor, as trained).
    public var liverThreshold: Float
    /// Tumor candidates where p_lesion > threshold (channel 1).
    public var lesionThreshold: Float
    /// Keep only the largest connected component of the liver (including tumor).
    public var largestLiverComponent: Bool
    /// Tumor only where there is liver: lesion voxels outside the (kept) liver are dropped. When
    /// false, a lesion voxel counts as liver too (the LiTS convention: liver = label >= 1), so the
    /// liver is the union of both thresholded channels.
    public var lesionsInsideLiver: Bool
    /// Neighbourhood of the largest-component step.
    public var connectivity: Connectivity

    public init(liverThreshold: Float = 0.5, lesionThreshold: Float = 0.5, largestLiverComponent: Bool = false,
                lesionsInsideLiver: Bool = true, connectivity: Connectivity = .twentySix) {
        self.liverThreshold = liverThreshold
        self.lesionThreshold = lesionThreshold
        self.largestLiverComponent = largestLiverComponent
        self.lesionsInsideLiver = lesionsInsideLiver
        self.connectivity = connectivity
    }

    /// Both channels thresholded independently at 0.5, nothing else: the baseline's evaluation.
    public static let thresholdOnly = PostprocessOptions(largestLiverComponent: false, lesionsInsideLiver: false)
}

/// Probabilities to labels 0 background, 1 liver, 2 tumor.
///
/// 1. liver = p_liver > liverThreshold; lesion = p_lesion > lesionThreshold (strictly greater).
/// 2. Without `lesionsInsideLiver`, liver = liver OR lesion (a tumor voxel is a liver voxel).
/// 3. With `largestLiverComponent`, only the largest component of liver remains (ties: the one
///    that comes first in NIfTI raster order).
/// 4. lesion = lesion AND liver: with `lesionsInsideLiver` this is the rule "tumor requires liver";
///    without it, it only drops lesions that fell outside the largest component in step 3.
/// 5. label 2 where lesion, 1 where liver, 0 elsewhere.
///
/// So tumor requires liver by default: the liver channel is trained on label >= 1, which
/// includes every tumor voxel, so a lesion prediction without liver under it is taken as a false
/// positive (outside the organ) rather than as evidence of liver.
public enum Postprocess {
    public static func labels(liver: Volume<Float>, lesion: Volume<Float>,
                              options: PostprocessOptions = PostprocessOptions()) -> LabelMap {
        precondition(liver.shape == lesion.shape, "liver \(liver.shape) and lesion \(lesion.shape) probabilities differ in shape")
        var liverMask = liver.voxels.map { $0 > options.liverThreshold }
        let lesionMask = lesion.voxels.map { $0 > options.lesionThreshold }
        if !options.lesionsInsideLiver {
            for n in liverMask.indices where lesionMask[n] { liverMask[n] = true }
        }
        if options.largestLiverComponent {
            liverMask = largestComponent(liverMask, shape: liver.shape, connectivity: options.connectivity)
        }
        var out = [UInt8](repeating: Label.background, count: liver.count)
        for n in out.indices where liverMask[n] {
            out[n] = lesionMask[n] ? Label.tumor : Label.liver
        }
        return LabelMap(grid: liver.grid, voxels: out)
    }

    /// `probabilities[0]` liver, `probabilities[1]` lesion, as `SlidingWindow.predict` returns them.
    public static func labels(probabilities: [Volume<Float>], options: PostprocessOptions = PostprocessOptions()) -> LabelMap {
        precondition(probabilities.count >= 2, "need liver and lesion probabilities, got \(probabilities.count) channels")
        return labels(liver: probabilities[0], lesion: probabilities[1], options: options)
    }

    /// The largest connected component of `mask` (all false when the mask is empty).
    public static func largestComponent(_ mask: [Bool], shape: [Int], connectivity: Connectivity = .twentySix) -> [Bool] {
        let components = ConnectedComponents.label(shape: shape, mask: mask, connectivity: connectivity)
        guard components.count > 1 else { return mask }
        var best: ComponentStats? = nil
        for s in ConnectedComponents.statistics(components) where best == nil || s.voxelCount > best!.voxelCount {
            best = s
        }
        let keep = best?.label ?? 0
        return components.labels.map { $0 == keep && keep != 0 }
    }
}
