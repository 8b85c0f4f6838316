/// Multiplies every voxel by one factor: nnU-Net's MultiplicativeBrightnessTransform.
enum Brightness {
    static func apply(_ image: inout [Float], multiplier: Double) {
        guard multiplier != 1 else { return }
        let m = Float(multiplier)
        for n in image.indices { image[n] *= m }
    }
}
