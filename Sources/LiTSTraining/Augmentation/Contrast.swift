/// Stretches the patch about its mean by `factor` and clips to its former range: nnU-Net's
/// ContrastTransform with preserve_range.
enum Contrast {
    static func apply(_ image: inout [Float], factor: Double) {
        guard factor != 1, let lo = image.min(), let hi = image.max() else { return }
        let mean = image.reduce(0.0) { $0 + Double($1) } / Double(image.count)
        for n in image.indices {
            let v = Float((Double(image[n]) - mean) * factor + mean)
            image[n] = min(max(v, lo), hi)
        }
    }
}
