import Foundation

/// Raises the patch, scaled to [0, 1] over its own range, to `gamma`, then restores its mean and
/// standard deviation; `inverted` does the same to the negated patch (brightening the dark end
/// instead): nnU-Net's GammaTransform with retain_stats.
enum Gamma {
    static func apply(_ image: inout [Float], gamma: Double, inverted: Bool) {
        guard gamma != 1, let lo = image.min(), let hi = image.max(), hi > lo else { return }
        let (mean, sd) = stats(image)
        let range = hi - lo, g = Float(gamma)
        // Negating the patch, applying gamma and negating back is: hi - range * ((hi - x) / range)^g.
        for n in image.indices {
            image[n] = inverted ? hi - range * pow((hi - image[n]) / range, g) : lo + range * pow((image[n] - lo) / range, g)
        }
        let (newMean, newSD) = stats(image)
        guard newSD > 1e-12 else { return }
        let scale = Float(sd / newSD), shift = Float(mean - newMean * sd / newSD)
        for n in image.indices { image[n] = image[n] * scale + shift }
    }

    /// Mean and population standard deviation, accumulated in Double.
    static func stats(_ x: [Float]) -> (mean: Double, sd: Double) {
        var sum = 0.0, squares = 0.0
        for v in x { sum += Double(v); squares += Double(v) * Double(v) }
        let mean = sum / Double(x.count)
        return (mean, max(0, squares / Double(x.count) - mean * mean).squareRoot())
    }
}
