import Foundation

/// The Dice coefficient `2 |A ∩ B| / (|A| + |B|)`, the one definition validation and evaluation
/// share. Both masks empty: NaN (undefined: callers leave it out of means or count it apart, never
/// a perfect score for "nothing against nothing"); one empty: 0.
public enum Dice {
    public static func coefficient(intersection: Int, sizeA: Int, sizeB: Int) -> Double {
        let total = sizeA + sizeB
        return total == 0 ? .nan : 2 * Double(intersection) / Double(total)
    }

    /// From true positives, false positives and false negatives.
    public static func coefficient(tp: Int, fp: Int, fn: Int) -> Double {
        coefficient(intersection: tp, sizeA: tp + fp, sizeB: tp + fn)
    }

    /// Of two masks given voxel by voxel over `0..<count`.
    public static func coefficient(count: Int, predicted: (Int) -> Bool, truth: (Int) -> Bool) -> Double {
        var inter = 0, p = 0, t = 0
        for n in 0..<count {
            let a = predicted(n), b = truth(n)
            if a { p += 1 }
            if b { t += 1 }
            if a && b { inter += 1 }
        }
        return coefficient(intersection: inter, sizeA: p, sizeB: t)
    }
}
