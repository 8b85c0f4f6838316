import Foundation
import LiTSCore
import LiTSInference
import LiTSNet

/// A smooth random displacement of every patch voxel: random offsets in [-magnitude, magnitude]
/// voxels at control points `spacing` voxels apart, interpolated trilinearly in between. (nnU-Net
/// smooths a per-voxel random field with a Gaussian; a coarse control grid gives the same kind of
/// smooth warp for far less work.)
struct ElasticField: Sendable {
    var di: [Float], dj: [Float], dk: [Float]

    init(size: PatchSize, magnitude: Double, spacing: Double, inPlaneOnly: Bool, rng: inout SeededGenerator) {
        let (w, h, d) = (size.w, size.h, size.d)
        func nodes(_ n: Int) -> Int { Int((Double(max(n - 1, 0)) / spacing).rounded(.up)) + 1 }
        let (gw, gh, gd) = (nodes(w), nodes(h), nodes(d))
        func grid() -> [Double] { (0..<(gw * gh * gd)).map { _ in rng.uniform(.init(-magnitude, magnitude)) } }
        let gi = grid(), gj = grid()
        let gk = inPlaneOnly ? [Double](repeating: 0, count: gw * gh * gd) : grid()
        func field(_ g: [Double]) -> [Float] {
            var out = [Float](repeating: 0, count: size.count)
            for kk in 0..<d {
                let z = Double(kk) / spacing, z0 = min(Int(z), gd - 1), z1 = min(z0 + 1, gd - 1), wz = z - Double(z0)
                for jj in 0..<h {
                    let y = Double(jj) / spacing, y0 = min(Int(y), gh - 1), y1 = min(y0 + 1, gh - 1), wy = y - Double(y0)
                    for ii in 0..<w {
                        let x = Double(ii) / spacing, x0 = min(Int(x), gw - 1), x1 = min(x0 + 1, gw - 1), wx = x - Double(x0)
                        func g3(_ a: Int, _ b: Int, _ c: Int) -> Double { g[a + gw * (b + gh * c)] }
                        let v0 = (g3(x0, y0, z0) * (1 - wx) + g3(x1, y0, z0) * wx) * (1 - wy) + (g3(x0, y1, z0) * (1 - wx) + g3(x1, y1, z0) * wx) * wy
                        let v1 = (g3(x0, y0, z1) * (1 - wx) + g3(x1, y0, z1) * wx) * (1 - wy) + (g3(x0, y1, z1) * (1 - wx) + g3(x1, y1, z1) * wx) * wy
                        out[ii + w * (jj + h * kk)] = Float(v0 * (1 - wz) + v1 * wz)
                    }
                }
            }
            return out
        }
        di = field(gi)
        dj = field(gj)
        dk = field(gk)
    }
}
