import Foundation
import LiTSCore

/// A loss value with its parts and its gradient with respect to the prediction.
public struct LossOutput: Sendable {
    /// The weighted mean over channels.
    public var value: Double
    /// The loss of each channel (before weighting).
    public var perChannel: [Double]
    /// dL/dpred, same shape as pred.
    public var grad: Tensor
}

/// Which voxels one overlap term sums over.
public enum OverlapReduction: Sendable {
    /// Per channel over the whole batch: I_c and U_c sum over (N, D, H, W). The default.
    case batch
    /// Per sample and channel over (D, H, W), then the mean over samples.
    case sample
}

/// Overlap losses and the Dice metric on sigmoid outputs `pred` and binary targets `target`,
/// both (N, C, D, H, W). With I = sum(pred * target) and U = sum(pred) + sum(target):
///
/// - Jaccard distance, the baseline's loss: `(1 - (I + s) / (U - I + s)) * s`, s = 100.
///   The Keras original (keras-contrib's `jaccard_distance`) writes `sum(|y_true * y_pred|)` and
///   `sum(|y_true| + |y_pred|)`; for sigmoid outputs and 0/1 targets the absolute values change
///   nothing, so they are dropped. Keras sums over `axis=-1`, which on a channels-last 5D tensor
///   is the channel axis: it computes a Jaccard per voxel and averages over voxels, which with
///   s = 100 is close to a scaled L1 loss, not an overlap loss. We do not reproduce that
///   accident; we implement what the formula means and the brief asks for: one Jaccard per
///   channel with sums over the whole batch (`.batch`, default; the "flatten then sum" form most
///   Keras ports use, applied per channel), or per sample (`.sample`).
/// - Soft Dice loss: `1 - (2I + eps) / (U + eps)` per channel.
///
/// Both losses depend on pred only through I and U, so dL/dpred_i = dL/dI * target_i + dL/dU.
/// The total is the weighted mean over channels, sum_c(w_c L_c) / sum_c(w_c); sums are in Double.
public enum Losses {
    /// The baseline's Jaccard distance (see the type's comment).
    public static func jaccardDistance(pred: Tensor, target: Tensor, smooth: Double = 100,
                                       channelWeights: [Double]? = nil,
                                       reduction: OverlapReduction = .batch, group: ProcessGroup? = nil) -> LossOutput {
        overlapLoss(pred: pred, target: target, weights: channelWeights, reduction: reduction, group: group) { i, u in
            let a = i + smooth, b = u - i + smooth
            let loss = (1 - a / b) * smooth
            // d/dI: -s (B + A) / B^2 (A grows with I, B shrinks); d/dU: s A / B^2.
            return (loss, -smooth * (b + a) / (b * b), smooth * a / (b * b))
        }
    }

    /// Soft Dice loss `1 - (2I + eps) / (U + eps)` per channel.
    public static func softDice(pred: Tensor, target: Tensor, eps: Double = 1e-5,
                                channelWeights: [Double]? = nil,
                                reduction: OverlapReduction = .batch, group: ProcessGroup? = nil) -> LossOutput {
        overlapLoss(pred: pred, target: target, weights: channelWeights, reduction: reduction, group: group) { i, u in
            let den = u + eps
            let loss = 1 - (2 * i + eps) / den
            return (loss, -2 / den, (2 * i + eps) / (den * den))
        }
    }

    /// Shared body: sums I and U per group, asks `term` for (L, dL/dI, dL/dU) and writes the
    /// weighted gradient. With a process group (data-parallel training, `.batch` only) the
    /// channel sums are added over every process's share of the batch first, so the value and
    /// the gradient are those of the whole global batch.
    static func overlapLoss(pred: Tensor, target: Tensor, weights: [Double]?, reduction: OverlapReduction,
                            group: ProcessGroup? = nil, term: (Double, Double) -> (Double, Double, Double)) -> LossOutput {
        precondition(pred.shape == target.shape, "loss: pred \(pred.shape) and target \(target.shape) differ in shape")
        let (n, c, d, h, w) = pred.ncdhw
        let s = d * h * w
        let wts = weights ?? [Double](repeating: 1, count: c)
        precondition(wts.count == c, "loss: \(wts.count) channel weights for \(c) channels")
        precondition(wts.allSatisfy { $0 >= 0 } && wts.reduce(0, +) > 0, "loss: channel weights must be >= 0 with a positive sum, got \(wts)")
        let wsum = wts.reduce(0, +)

        // Per (n, c) sums; grouped by reduction below.
        var inter = [Double](repeating: 0, count: n * c), union = [Double](repeating: 0, count: n * c)
        pred.data.withUnsafeBufferPointer { pp in
            target.data.withUnsafeBufferPointer { tp in
                for nc in 0..<(n * c) {
                    var si = 0.0, su = 0.0
                    for i in (nc * s)..<(nc * s + s) {
                        let p = Double(pp[i]), t = Double(tp[i])
                        si += p * t
                        su += p + t
                    }
                    inter[nc] = si
                    union[nc] = su
                }
            }
        }

        var perChannel = [Double](repeating: 0, count: c)
        // dL_total/dI and dL_total/dU for each (n, c).
        var dI = [Double](repeating: 0, count: n * c), dU = [Double](repeating: 0, count: n * c)
        precondition(group == nil || reduction == .batch, "loss: a process group needs the batch reduction")
        // .batch: I_c then U_c of the whole batch (every process's share with a group).
        var channelSums = [Double](repeating: 0, count: 2 * c)
        if reduction == .batch {
            for ch in 0..<c {
                for b in 0..<n { channelSums[ch] += inter[b * c + ch]; channelSums[c + ch] += union[b * c + ch] }
            }
            group?.sum(&channelSums)
        }
        for ch in 0..<c {
            let wc = wts[ch] / wsum
            switch reduction {
            case .batch:
                let (l, li, lu) = term(channelSums[ch], channelSums[c + ch])
                perChannel[ch] = l
                for b in 0..<n { dI[b * c + ch] = wc * li; dU[b * c + ch] = wc * lu }
            case .sample:
                var total = 0.0
                for b in 0..<n {
                    let (l, li, lu) = term(inter[b * c + ch], union[b * c + ch])
                    total += l
                    dI[b * c + ch] = wc * li / Double(n)
                    dU[b * c + ch] = wc * lu / Double(n)
                }
                perChannel[ch] = total / Double(n)
            }
        }
        var value = 0.0
        for ch in 0..<c { value += wts[ch] / wsum * perChannel[ch] }

        var grad = Tensor(shape: pred.shape)
        target.data.withUnsafeBufferPointer { tp in
            grad.data.withUnsafeMutableBufferPointer { gp in
                for nc in 0..<(n * c) {
                    let a = dI[nc], b = dU[nc]
                    for i in (nc * s)..<(nc * s + s) { gp[i] = Float(a * Double(tp[i]) + b) }
                }
            }
        }
        return LossOutput(value: value, perChannel: perChannel, grad: grad)
    }

    // MARK: metric

    /// Hard Dice per channel over the whole batch: pred > threshold against target > 0.5,
    /// 2|A∩B| / (|A| + |B|). When both masks are empty the Dice is undefined and is NaN
    /// (callers decide: skip it in means, or count it as 1); when only one is empty it is 0.
    public static func dice(pred: Tensor, target: Tensor, threshold: Float = 0.5) -> [Double] {
        let counts = diceCounts(pred: pred, target: target, threshold: threshold)
        let c = pred.shape[1], n = pred.shape[0]
        return (0..<c).map { ch in
            var inter = 0, sum = 0
            for b in 0..<n { inter += counts[b * c + ch].0; sum += counts[b * c + ch].1 }
            return diceValue(inter, sum)
        }
    }

    /// Hard Dice per sample and channel, `[n][c]`, with the same rules as `dice`.
    public static func dicePerSample(pred: Tensor, target: Tensor, threshold: Float = 0.5) -> [[Double]] {
        let counts = diceCounts(pred: pred, target: target, threshold: threshold)
        let c = pred.shape[1], n = pred.shape[0]
        return (0..<n).map { b in (0..<c).map { ch in diceValue(counts[b * c + ch].0, counts[b * c + ch].1) } }
    }

    static func diceValue(_ inter: Int, _ sum: Int) -> Double {
        sum == 0 ? .nan : 2 * Double(inter) / Double(sum)
    }

    /// (|A∩B|, |A| + |B|) per (n, c).
    static func diceCounts(pred: Tensor, target: Tensor, threshold: Float) -> [(Int, Int)] {
        precondition(pred.shape == target.shape, "dice: pred \(pred.shape) and target \(target.shape) differ in shape")
        let (n, c, d, h, w) = pred.ncdhw
        let s = d * h * w
        var out = [(Int, Int)](repeating: (0, 0), count: n * c)
        pred.data.withUnsafeBufferPointer { pp in
            target.data.withUnsafeBufferPointer { tp in
                for nc in 0..<(n * c) {
                    var inter = 0, sum = 0
                    for i in (nc * s)..<(nc * s + s) {
                        let a = pp[i] > threshold, b = tp[i] > 0.5
                        if a { sum += 1 }
                        if b { sum += 1 }
                        if a && b { inter += 1 }
                    }
                    out[nc] = (inter, sum)
                }
            }
        }
        return out
    }
}
