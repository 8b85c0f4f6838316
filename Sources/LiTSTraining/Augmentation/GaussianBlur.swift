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
            let source = image
            // Lines along `axis`: every start voxel whose coordinate on that axis is 0.
            let lines = size.count / n
            let other = (0..<3).filter { $0 != axis }
            for line in 0..<lines {
                let a = line % dims[other[0]], b = line / dims[other[0]]
                let start = a * strides[other[0]] + b * strides[other[1]]
                for x in 0..<n {
                    var acc: Float = 0
                    for t in -r...r { acc += kernel[t + r] * source[start + stride * reflect(x + t, n)] }
                    image[start + stride * x] = acc
                }
            }
        }
    }
}
