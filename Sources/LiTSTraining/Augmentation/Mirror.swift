import LiTSInference

/// Flips a patch (image and labels alike) along the chosen axes: nnU-Net's MirrorTransform.
enum Mirror {
    static func apply<T>(_ values: inout [T], size: PatchSize, i: Bool, j: Bool, k: Bool) {
        guard i || j || k else { return }
        let (w, h, d) = (size.w, size.h, size.d)
        let source = values
        for kk in 0..<d {
            let sk = k ? d - 1 - kk : kk
            for jj in 0..<h {
                let sj = j ? h - 1 - jj : jj
                let row = w * (jj + h * kk), sourceRow = w * (sj + h * sk)
                for ii in 0..<w { values[row + ii] = source[sourceRow + (i ? w - 1 - ii : ii)] }
            }
        }
    }
}
