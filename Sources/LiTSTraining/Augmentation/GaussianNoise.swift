import LiTSNet

/// Adds zero-mean Gaussian noise of standard deviation `sigma` to every voxel: nnU-Net's
/// GaussianNoiseTransform.
enum GaussianNoise {
    static func apply(_ image: inout [Float], sigma: Double, rng: inout SeededGenerator) {
        guard sigma > 0 else { return }
        for n in image.indices { image[n] += Float(sigma * rng.normal()) }
    }
}
