import Foundation
import LiTSCore
import LiTSNet

/// Adds zero-mean Gaussian noise of standard deviation `sigma` to every voxel: nnU-Net's
/// GaussianNoiseTransform. Box-Muller, both values of each pair used.
enum GaussianNoise {
    static func apply(_ image: inout [Float], sigma: Double, rng: inout SeededGenerator) {
        guard sigma > 0 else { return }
        var n = 0
        while n < image.count {
            let u1 = (Double(rng.next() >> 11) + 1) * 0x1p-53  // (0, 1]
            let u2 = Double(rng.next() >> 11) * 0x1p-53
            let r = sigma * (-2 * log(u1)).squareRoot(), a = 2 * Double.pi * u2
            image[n] += Float(r * cos(a))
            if n + 1 < image.count { image[n + 1] += Float(r * sin(a)) }
            n += 2
        }
    }
}
