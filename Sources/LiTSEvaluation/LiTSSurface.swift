import Foundation
import LiTSCore

/// The seven segmentation scores of the LiTS scoring program (`compute_segmentation_scores` in
/// `program/helpers/calc_metric.py`, with its `Surface` class of `program/helpers/surface.py`) for
/// one prediction mask P against one reference mask R:
/// - dice = 2 |P ∩ R| / (|P| + |R|); jaccard = dice / (2 - dice); voe = 1 - jaccard;
/// - rvd = (|R| - |P|) / |P| (the official call is `ravd(reference, prediction)`: the reverse of
///   medpy's (pred - truth) / truth);
/// - the surfaces are the voxels removed by one binary erosion with the 18-neighbourhood (faces and
///   edges; outside the image is background), the distances those from each surface voxel to the
///   nearest surface voxel of the other mask, in mm (voxel index times spacing): assd = the sum of
///   both directions' distances / the number of surface voxels of both, rmsd = the root of the same
///   mean of squares, msd = the largest distance either way.
/// When either mask is empty the program records its defaults: dice 0, jaccard 0, voe 1 and 9001
/// for the others.
public struct LiTSSegmentationScores: Codable, Equatable, Sendable {
    public var dice: Double, jaccard: Double, voe: Double, rvd: Double
    public var assd: Double, rmsd: Double, msd: Double

    /// The official program's stand-in for an undefined score (`LARGE`).
    public static let large = 9001.0
    /// The defaults for an empty side.
    public static let undefined = LiTSSegmentationScores(dice: 0, jaccard: 0, voe: 1, rvd: large, assd: large, rmsd: large, msd: large)

    public init(dice: Double, jaccard: Double, voe: Double, rvd: Double, assd: Double, rmsd: Double, msd: Double) {
        self.dice = dice; self.jaccard = jaccard; self.voe = voe; self.rvd = rvd
        self.assd = assd; self.rmsd = rmsd; self.msd = msd
    }

    /// The names and values in the official order (that of `segmentation_metrics` in `evaluate.py`).
    public var named: [(String, Double)] {
        [("dice", dice), ("jaccard", jaccard), ("voe", voe), ("rvd", rvd), ("assd", assd), ("rmsd", rmsd), ("msd", msd)]
    }

    /// The scores of `pred` against `truth` (masks in NIfTI voxel order on `shape`, spacing in mm).
    public init(pred: [Bool], truth: [Bool], shape: [Int], spacing: [Double]) {
        var p = 0, r = 0, both = 0
        for n in 0..<pred.count {
            if pred[n] { p += 1; if truth[n] { both += 1 } }
            if truth[n] { r += 1 }
        }
        guard p > 0, r > 0,
              let (fromPred, fromTruth) = Metrics.directedSurfaceDistances(pred: pred, truth: truth, shape: shape, spacing: spacing,
                                                                           connectivity: 2, exactDistances: true)
        else { self = .undefined; return }
        dice = Dice.coefficient(intersection: both, sizeA: p, sizeB: r)
        jaccard = dice / (2 - dice)
        voe = 1 - jaccard
        rvd = Double(r - p) / Double(p)
        var sum = 0.0, squares = 0.0, largest = 0.0
        for d in fromPred { sum += d; squares += d * d; largest = max(largest, d) }
        for d in fromTruth { sum += d; squares += d * d; largest = max(largest, d) }
        let surfaceVoxels = Double(fromPred.count + fromTruth.count)
        assd = 1 / surfaceVoxels * sum
        rmsd = (1 / surfaceVoxels).squareRoot() * squares.squareRoot()
        msd = largest
    }

    /// The mean of each score over `scores` (the official program's averages over lesions or
    /// cases); nil for none.
    public static func mean(_ scores: [LiTSSegmentationScores]) -> LiTSSegmentationScores? {
        guard !scores.isEmpty else { return nil }
        let n = Double(scores.count)
        func m(_ k: KeyPath<LiTSSegmentationScores, Double>) -> Double { scores.reduce(0) { $0 + $1[keyPath: k] } / n }
        return LiTSSegmentationScores(dice: m(\.dice), jaccard: m(\.jaccard), voe: m(\.voe), rvd: m(\.rvd),
                                      assd: m(\.assd), rmsd: m(\.rmsd), msd: m(\.msd))
    }
}
