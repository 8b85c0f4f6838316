import Foundation
import LiTSCore

/// One case scored as the LiTS scoring program's `evaluate.py` scores it (liver = label >= 1,
/// lesion = label 2, the label maps in the files' own voxel order, the reference's pixdim as
/// spacing). What the program adds up over cases; `LiTSScores` does the adding.
public struct LiTSCaseScores: Codable, Equatable, Sendable {
    public var id: String
    /// 6-connected lesion components of the prediction and of the reference.
    public var predictedLesions: Int, referenceLesions: Int
    /// Detected lesions (`LiTSDetection`) at overlap threshold 0 (any overlap) and 0.5.
    public var detectedAnyOverlap: Int, detected: Int
    /// The reference groups with predictions, at threshold 0.5.
    public var groups: [LiTSDetection.Group]
    /// Scores of the detected groups at 0.5, by group number; none when `detected` <= 0 (the
    /// program skips the case then, even if some group was detected).
    public var lesionScores: [LiTSSegmentationScores]
    /// The liver's scores; the defaults when the prediction has no label 1.
    public var liverScores: LiTSSegmentationScores
    /// Lesion Dice (1 when neither side has a lesion voxel) and liver Dice (0 when the prediction
    /// has no label 1).
    public var lesionDice: Double, liverDice: Double
    /// Intersections and size sums for the global Dice (liver: the prediction counts only when it
    /// has a label 1).
    public var lesionIntersection: Int, lesionSizeSum: Int, liverIntersection: Int, liverSizeSum: Int
    /// Reference tumour burden minus predicted (lesion voxels / liver voxels); the prediction's is
    /// 9001 when it has no label 1, the reference's 0 when it has no liver (where the program
    /// divides by zero).
    public var tumorBurdenDifference: Double
    /// The official special values that apply to this case, by rule name (`LiTSCaseScores.specialRules`).
    public var notes: [String]
    /// nil: scored from its own prediction. Otherwise why not (missing, refused), with `reason`;
    /// such a case was scored as an empty prediction (`--missing zero`).
    public var status: CaseStatus?
    public var reason: String?

    /// The row's status: `scored` unless the prediction was missing or refused.
    public var rowStatus: CaseStatus { status ?? .scored }

    /// The special values of the official program, by the names the `note` column gives them.
    public static let specialRules: [(name: String, rule: String)] = [
        ("liver-dice-0", "the prediction has no label 1 (for example all of the liver called tumour): liver Dice 0, Jaccard 0, VOE 1, liver distances and RVD 9001, predicted tumour burden 9001"),
        ("lesion-dice-1", "neither side has a lesion voxel: lesion Dice 1"),
        ("no-reference-lesion", "the reference has no lesion but the prediction has: the program stops on such a case; here nothing is detected and every predicted lesion is a false positive"),
        ("no-reference-liver", "the reference has no liver: its tumour burden is 0 (the program divides by zero)"),
        ("lesion-scores-skipped", "TP <= 0 at IoU > 0.5 although a group was detected: the program scores none of the case's lesions"),
    ]

    /// Scores `prediction` against `truth`, both in the same voxel order (the caller checks the
    /// grids), with `spacing` in mm.
    public init(id: String, truth: [UInt8], prediction: [UInt8], shape: [Int], spacing: [Double]) {
        precondition(truth.count == prediction.count && truth.count == shape.reduce(1, *), "label maps do not match shape \(shape)")
        self.id = id
        let census = LiTSCensus(truth: truth, prediction: prediction, shape: shape)

        // Lesions, inside the box of both sides' label 2.
        var groups: [LiTSDetection.Group] = [], scores: [LiTSSegmentationScores] = []
        var counts = (predicted: 0, reference: 0, any: 0, half: 0)
        if let box = census.lesionBox {
            let cropShape = (0..<3).map { box.hi[$0] - box.lo[$0] + 1 }
            let pred = LiTSLesionComponents(shape: cropShape, mask: census.crop(prediction, box) { $0 == 2 })
            let ref = LiTSLesionComponents(shape: cropShape, mask: census.crop(truth, box) { $0 == 2 })
            let overlaps = pred.intersections(with: ref)
            let any = LiTSDetection.detect(predictionSizes: pred.sizes, referenceSizes: ref.sizes, intersections: overlaps, minOverlap: 0)
            let half = LiTSDetection.detect(predictionSizes: pred.sizes, referenceSizes: ref.sizes, intersections: overlaps, minOverlap: 0.5)
            counts = (pred.count, ref.count, any.detected, half.detected)
            groups = half.groups
            if half.detected > 0 {
                for g in half.groups where g.detected {
                    let all = g.references.map { (ref.boxLo[$0], ref.boxHi[$0]) } + g.predictions.map { (pred.boxLo[$0], pred.boxHi[$0]) }
                    let lo = (0..<3).map { a in all.map { $0.0[a] }.min()! }, hi = (0..<3).map { a in all.map { $0.1[a] }.max()! }
                    scores.append(LiTSSegmentationScores(pred: pred.mask(of: Set(g.predictions), lo: lo, hi: hi),
                                                         truth: ref.mask(of: Set(g.references), lo: lo, hi: hi),
                                                         shape: (0..<3).map { hi[$0] - lo[$0] + 1 }, spacing: spacing))
                }
            }
        }
        predictedLesions = counts.predicted
        referenceLesions = counts.reference
        detectedAnyOverlap = counts.any
        detected = counts.half
        self.groups = groups
        lesionScores = scores

        // The liver, inside the box of both sides' label >= 1.
        let c = census
        if c.predictionHasLabel1, let box = c.liverBox {
            let cropShape = (0..<3).map { box.hi[$0] - box.lo[$0] + 1 }
            liverScores = LiTSSegmentationScores(pred: c.crop(prediction, box) { $0 >= 1 }, truth: c.crop(truth, box) { $0 >= 1 },
                                                 shape: cropShape, spacing: spacing)
        } else {
            liverScores = .undefined
        }
        lesionDice = c.predLesion == 0 && c.truthLesion == 0 ? 1
            : Dice.coefficient(intersection: c.lesionIntersection, sizeA: c.predLesion, sizeB: c.truthLesion)
        liverDice = c.predictionHasLabel1 ? Dice.coefficient(intersection: c.liverIntersection, sizeA: c.predLiver, sizeB: c.truthLiver) : 0
        lesionIntersection = c.lesionIntersection
        lesionSizeSum = c.predLesion + c.truthLesion
        liverIntersection = c.predictionHasLabel1 ? c.liverIntersection : 0
        liverSizeSum = c.predictionHasLabel1 ? c.predLiver + c.truthLiver : c.truthLiver
        let truthBurden = c.truthLiver == 0 ? 0 : Double(c.truthLesion) / Double(c.truthLiver)
        let predBurden = c.predictionHasLabel1 ? Double(c.predLesion) / Double(c.predLiver) : LiTSSegmentationScores.large
        tumorBurdenDifference = truthBurden - predBurden
        var notes: [String] = []
        if !c.predictionHasLabel1 { notes.append("liver-dice-0") }
        if c.predLesion == 0 && c.truthLesion == 0 { notes.append("lesion-dice-1") }
        if c.truthLesion == 0 && c.predLesion > 0 { notes.append("no-reference-lesion") }
        if c.truthLiver == 0 { notes.append("no-reference-liver") }
        if detected <= 0 && groups.contains(where: \.detected) { notes.append("lesion-scores-skipped") }
        self.notes = notes
    }
}

/// One pass over both label maps: voxel counts, overlaps and the bounding boxes of the lesions and
/// livers of both sides.
struct LiTSCensus {
    struct Box { var lo: [Int]; var hi: [Int] }
    let shape: [Int]
    var truthLesion = 0, truthLiver = 0, predLesion = 0, predLiver = 0
    var lesionIntersection = 0, liverIntersection = 0
    var predictionHasLabel1 = false
    var lesionBox: Box?, liverBox: Box?

    init(truth: [UInt8], prediction: [UInt8], shape: [Int]) {
        let (nx, ny, nz) = (shape[0], shape.count > 1 ? shape[1] : 1, shape.count > 2 ? shape[2] : 1)
        self.shape = [nx, ny, nz]
        var lesionLo = [Int.max, Int.max, Int.max], lesionHi = [-1, -1, -1]
        var liverLo = [Int.max, Int.max, Int.max], liverHi = [-1, -1, -1]
        var tl = 0, tv = 0, pl = 0, pv = 0, li = 0, vi = 0, one = false
        truth.withUnsafeBytes { tb in
            prediction.withUnsafeBytes { pb in
                for k in 0..<nz {
                    for j in 0..<ny {
                        let row = nx * (j + ny * k)
                        var i = 0
                        while i < nx {
                            // Eight background voxels on both sides at a time.
                            if i + 8 <= nx, tb.loadUnaligned(fromByteOffset: row + i, as: UInt64.self) == 0,
                               pb.loadUnaligned(fromByteOffset: row + i, as: UInt64.self) == 0 { i += 8; continue }
                            let t = tb[row + i], p = pb[row + i]
                            if t != 0 || p != 0 {
                                if t >= 1 { tv += 1 }
                                if p >= 1 { pv += 1; if p == 1 { one = true } }
                                if t >= 1 && p >= 1 { vi += 1 }
                                liverLo[0] = min(liverLo[0], i); liverHi[0] = max(liverHi[0], i)
                                liverLo[1] = min(liverLo[1], j); liverHi[1] = max(liverHi[1], j)
                                liverLo[2] = min(liverLo[2], k); liverHi[2] = max(liverHi[2], k)
                                if t == 2 || p == 2 {
                                    if t == 2 { tl += 1 }
                                    if p == 2 { pl += 1 }
                                    if t == 2 && p == 2 { li += 1 }
                                    lesionLo[0] = min(lesionLo[0], i); lesionHi[0] = max(lesionHi[0], i)
                                    lesionLo[1] = min(lesionLo[1], j); lesionHi[1] = max(lesionHi[1], j)
                                    lesionLo[2] = min(lesionLo[2], k); lesionHi[2] = max(lesionHi[2], k)
                                }
                            }
                            i += 1
                        }
                    }
                }
            }
        }
        truthLesion = tl; truthLiver = tv; predLesion = pl; predLiver = pv
        lesionIntersection = li; liverIntersection = vi; predictionHasLabel1 = one
        if lesionHi[0] >= 0 { lesionBox = Box(lo: lesionLo, hi: lesionHi) }
        if liverHi[0] >= 0 { liverBox = Box(lo: liverLo, hi: liverHi) }
    }

    /// `keep` of each voxel of `labels` inside `box`, in NIfTI order.
    func crop(_ labels: [UInt8], _ box: Box, _ keep: (UInt8) -> Bool) -> [Bool] {
        let lut = (0...255).map { keep(UInt8($0)) }
        var out: [Bool] = []
        out.reserveCapacity((box.hi[0] - box.lo[0] + 1) * (box.hi[1] - box.lo[1] + 1) * (box.hi[2] - box.lo[2] + 1))
        labels.withUnsafeBufferPointer { l in
            for k in box.lo[2]...box.hi[2] { for j in box.lo[1]...box.hi[1] {
                let row = shape[0] * (j + shape[1] * k)
                for i in box.lo[0]...box.hi[0] { out.append(lut[Int(l[row + i])]) }
            } }
        }
        return out
    }
}
