import Foundation
import LiTSCore
import LiTSInference

/// Separable Gaussian smoothing with its own sigma per axis, kernels cut at 4 sigma and borders
/// reflected (d c b a | a b c d), as scipy.ndimage.gaussian_filter does: nnU-Net's
/// GaussianBlurTransform.
enum GaussianBlur {
    /// The normalised kernel of radius ceil(4 sigma); [1] for sigma 0.
    static func kernel(sigma: Double) -> [Float] {
        guard sigma > 0 else { return [1] }
        let r = Int((4 * sigma).rounded(.up))
        let raw = (-r...r).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let sum = raw.reduce(0, +)
        return raw.map { Float($0 / sum) }
    }

    /// Index `n` reflected into 0..<count.
    static func reflect(_ n: Int, _ count: Int) -> Int {
        var n = n
        let period = 2 * count
        n %= period
        if n < 0 { n += period }
        return n < count ? n : period - 1 - n
    }

    static func apply(_ image: inout [Float], size: PatchSize, sigma: (i: Double, j: Double, k: Double)) {
        let dims = [size.w, size.h, size.d], strides = [1, size.w, size.w * size.h]
        for (axis, s) in [sigma.i, sigma.j, sigma.k].enumerated() where s > 0 {
            let kernel = kernel(sigma: s), r = kernel.count / 2, n = dims[axis], stride = strides[axis]
            // Where each padded position of a line reads from (reflected at both ends).
            let source = (-r..<(n + r)).map { reflect($0, n) * stride }
            var line = [Float](repeating: 0, count: n + 2 * r)
            let other = (0..<3).filter { $0 != axis }
            image.withUnsafeMutableBufferPointer { img in
                line.withUnsafeMutableBufferPointer { line in
                    kernel.withUnsafeBufferPointer { kernel in
                        for b in 0..<dims[other[1]] {
                            for a in 0..<dims[other[0]] {
                                let start = a * strides[other[0]] + b * strides[other[1]]
                                for p in 0..<line.count { line[p] = img[start + source[p]] }
                                for x in 0..<n {
                                    var acc: Float = 0
                                    for t in 0..<kernel.count { acc += kernel[t] * line[x + t] }
                                    img[start + stride * x] = acc
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
