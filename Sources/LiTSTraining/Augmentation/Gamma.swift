import Foundation

/// Raises the patch, scaled to [0, 1] over its own range, to `gamma`, then restores its mean and
/// standard deviation; `inverted` does the same to the negated patch (brightening the dark end
/// instead): nnU-Net's GammaTransform with retain_stats.
enum Gamma {
    static func apply(_ image: inout [Float], gamma: Double, inverted: Bool) {
        guard gamma != 1, let lo0 = image.min(), let hi0 = image.max(), hi0 > lo0 else { return }
        let sign: Double = inverted ? -1 : 1
        let values = image.map { sign * Double($0) }
        let (lo, hi) = inverted ? (-Double(hi0), -Double(lo0)) : (Double(lo0), Double(hi0))
        let count = Double(values.count)
        let mean = values.reduce(0, +) / count
        let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count).squareRoot()
        var out = values.map { pow(($0 - lo) / (hi - lo), gamma) * (hi - lo) + lo }
        let newMean = out.reduce(0, +) / count
        let newSD = (out.reduce(0) { $0 + ($1 - newMean) * ($1 - newMean) } / count).squareRoot()
        if newSD > 1e-12 { out = out.map { ($0 - newMean) / newSD * sd + mean } }
        for n in image.indices { image[n] = Float(sign * out[n]) }
    }
}
