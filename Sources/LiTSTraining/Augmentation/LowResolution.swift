import LiTSInference

/// Simulates a coarser scan: nearest-neighbour downsampling by `zoom` (the same on every axis
/// it touches), then trilinear upsampling back to the patch (half-pixel aligned, like PyTorch's
/// interpolate with align_corners=False): nnU-Net's SimulateLowResolutionTransform. `inPlaneOnly`
/// leaves k alone (nnU-Net's ignore_axes for dummy 2D).
enum LowResolution {
    static func apply(_ image: inout [Float], size: PatchSize, zoom: Double, inPlaneOnly: Bool) {
        guard zoom < 1 else { return }
        let full = [size.w, size.h, size.d]
        let low = full.enumerated().map { axis, n in axis == 2 && inPlaneOnly ? n : max(1, Int((Double(n) * zoom).rounded())) }
        guard low != full else { return }
        // Nearest (PyTorch's "nearest-exact"): low voxel q reads full voxel floor((q + 0.5) * n / m).
        func nearest(_ q: Int, _ axis: Int) -> Int { min(full[axis] - 1, Int((Double(q) + 0.5) * Double(full[axis]) / Double(low[axis]))) }
        var small = [Float](repeating: 0, count: low[0] * low[1] * low[2])
        for c in 0..<low[2] { for b in 0..<low[1] { for a in 0..<low[0] {
            small[a + low[0] * (b + low[1] * c)] = image[nearest(a, 0) + full[0] * (nearest(b, 1) + full[1] * nearest(c, 2))]
        } } }
        // Trilinear back: full voxel p samples low coordinate (p + 0.5) * m / n - 0.5, clamped.
        func weights(_ p: Int, _ axis: Int) -> (Int, Int, Float) {
            let x = max(0, (Double(p) + 0.5) * Double(low[axis]) / Double(full[axis]) - 0.5)
            let x0 = min(Int(x), low[axis] - 1)
            return (x0, min(x0 + 1, low[axis] - 1), Float(x - Double(x0)))
        }
        let wi = (0..<full[0]).map { weights($0, 0) }, wj = (0..<full[1]).map { weights($0, 1) }, wk = (0..<full[2]).map { weights($0, 2) }
        func s(_ a: Int, _ b: Int, _ c: Int) -> Float { small[a + low[0] * (b + low[1] * c)] }
        for kk in 0..<full[2] {
            let (c0, c1, fc) = wk[kk]
            for jj in 0..<full[1] {
                let (b0, b1, fb) = wj[jj]
                for ii in 0..<full[0] {
                    let (a0, a1, fa) = wi[ii]
                    let v00 = s(a0, b0, c0) * (1 - fa) + s(a1, b0, c0) * fa, v10 = s(a0, b1, c0) * (1 - fa) + s(a1, b1, c0) * fa
                    let v01 = s(a0, b0, c1) * (1 - fa) + s(a1, b0, c1) * fa, v11 = s(a0, b1, c1) * (1 - fa) + s(a1, b1, c1) * fa
                    image[ii + full[0] * (jj + full[1] * kk)] = (v00 * (1 - fb) + v10 * fb) * (1 - fc) + (v01 * (1 - fb) + v11 * fb) * fc
                }
            }
        }
    }
}
