import Foundation
import LiTSCore
import LiTSNet

/// The random draws augmentation needs, from a `SeededGenerator` (never the system generator,
/// so a seed fixes every patch).
extension SeededGenerator {
    /// Uniform in [range.low, range.high] (exactly low when the range is one point).
    mutating func uniform(_ range: AugmentationOptions.Range) -> Double {
        range.low == range.high ? range.low : Double.random(in: range.low...range.high, using: &self)
    }

    /// True with probability `p` (a draw is made even for 0 and 1, so later draws do not shift
    /// when a probability changes between 0 and 1).
    mutating func chance(_ p: Double) -> Bool {
        Double.random(in: 0..<1, using: &self) < p
    }

    /// batchgeneratorsv2's BGContrast draw for factors around 1: with probability 0.5 (when the
    /// range reaches below 1) from [low, 1), otherwise from [max(low, 1), high].
    mutating func factorAroundOne(_ range: AugmentationOptions.Range) -> Double {
        if range.low < 1, chance(0.5) { return uniform(.init(range.low, min(1, range.high))) }
        return uniform(.init(max(range.low, 1), max(range.low, range.high)))
    }
}
