import Foundation
import LiTSCore
import LiTSImaging

/// Instance (lesion) metrics as panoptica defines them (`Panoptica_Evaluator` on semantic
/// masks with `ConnectedComponentsInstanceApproximator` (cc3d: 26-connected components) and
/// `NaiveThresholdMatching(IOU, 0.5, strict_threshold=True)`): a predicted and a reference
/// lesion match when their IoU > 0.5, which makes the matching one-to-one and the optimal
/// assignment (a lesion cannot share more than half its union with two disjoint others).
/// - recognition quality RQ = TP / (TP + FP/2 + FN/2) (the F1 of detection);
/// - segmentation quality SQ = mean IoU of the matched pairs (`sqDice`: their mean Dice);
/// - panoptic quality PQ = SQ x RQ (`pqDice` = sqDice x RQ).
/// With no match all are 0, or undefined (nil; panoptica: NaN) when neither side has a lesion.
public struct InstanceMetrics: Codable, Equatable, Sendable {
    public struct Match: Codable, Equatable, Sendable {
        public var prediction: Int, reference: Int
        public var iou: Double, dice: Double
    }

    public var tp: Int, fp: Int, fn: Int
    public var rq: Double?, sq: Double?, pq: Double?, sqDice: Double?, pqDice: Double?
    /// By reference lesion number (`ConnectedComponents` numbering).
    public var matches: [Match]

    /// From component labels of the prediction and the reference (the same grid).
    public init(prediction: ComponentLabels, reference: ComponentLabels) {
        precondition(prediction.labels.count == reference.labels.count, "component maps of different sizes")
        var predSize = [Int](repeating: 0, count: prediction.count + 1), refSize = [Int](repeating: 0, count: reference.count + 1)
        var overlap: [Int: [Int: Int]] = [:]
        prediction.labels.withUnsafeBufferPointer { p in
            reference.labels.withUnsafeBufferPointer { r in
                for n in 0..<p.count {
                    let a = Int(p[n]), b = Int(r[n])
                    predSize[a] += 1
                    refSize[b] += 1
                    if a != 0 && b != 0 { overlap[b, default: [:]][a, default: 0] += 1 }
                }
            }
        }
        var matches: [Match] = []
        for ref in overlap.keys.sorted() {
            for (pred, i) in overlap[ref]! {
                let union = predSize[pred] + refSize[ref] - i
                let iou = Double(i) / Double(union)
                if iou > 0.5 {
                    matches.append(Match(prediction: pred, reference: ref, iou: iou,
                                         dice: Dice.coefficient(intersection: i, sizeA: predSize[pred], sizeB: refSize[ref])))
                }
            }
        }
        self.init(matches: matches, predicted: prediction.count, reference: reference.count)
    }

    init(matches: [Match], predicted: Int, reference: Int) {
        self.matches = matches
        tp = matches.count
        fp = predicted - tp
        fn = reference - tp
        if tp == 0 {
            let value: Double? = predicted + reference > 0 ? 0 : nil
            (rq, sq, pq, sqDice, pqDice) = (value, value, value, value, value)
            return
        }
        let rq = Double(tp) / (Double(tp) + 0.5 * Double(fp) + 0.5 * Double(fn))
        let sq = matches.reduce(0) { $0 + $1.iou } / Double(tp), sqDice = matches.reduce(0) { $0 + $1.dice } / Double(tp)
        self.rq = rq
        self.sq = sq
        self.sqDice = sqDice
        pq = sq * rq
        pqDice = sqDice * rq
    }
}
