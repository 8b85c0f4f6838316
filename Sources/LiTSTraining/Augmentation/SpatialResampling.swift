import Foundation
import LiTSCore
import LiTSInference

/// A patch resampled from its case volume through a rotation, a zoom and an optional elastic
/// displacement about the patch centre. Reading the whole volume (not the cut patch) gives a
/// rotated or zoomed-out patch real anatomy in its corners, as nnU-Net's SpatialTransform does
/// when it samples from a region larger than the patch; only outside the volume is it padded
/// (image `padValue`, labels 0).
///
/// Image voxels are trilinear (nnU-Net: cubic), labels nearest neighbour, so they stay in
/// {0, 1, 2}. With the identity the output equals the cut patch exactly.
struct SpatialResampling: Sendable {
    /// Row-major 3x3 matrix taking a patch offset (i, j, k) from the patch centre to a volume
    /// offset: rotation times 1 / zoom.
    var matrix: [Double]
    /// Displacements (di, dj, dk) in patch voxels per patch voxel, or nil.
    var displacement: ElasticField?

    static let identity = SpatialResampling(matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1], displacement: nil)

    /// Rotation by `degrees` about the i, j and k axes (applied in that order) and zoom
    /// `zoom` per axis (i, j, k); a zoom > 1 magnifies (reads a smaller region).
    static func matrix(degrees: (i: Double, j: Double, k: Double), zoom: (i: Double, j: Double, k: Double)) -> [Double] {
        func rad(_ d: Double) -> Double { d * Double.pi / 180 }
        let (a, b, c) = (rad(degrees.i), rad(degrees.j), rad(degrees.k))
        let rx: [Double] = [1, 0, 0, 0, cos(a), -sin(a), 0, sin(a), cos(a)]
        let ry: [Double] = [cos(b), 0, sin(b), 0, 1, 0, -sin(b), 0, cos(b)]
        let rz: [Double] = [cos(c), -sin(c), 0, sin(c), cos(c), 0, 0, 0, 1]
        func mul(_ p: [Double], _ q: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: 9)
            for r in 0..<3 {
                for c in 0..<3 {
                    for t in 0..<3 { out[3 * r + c] += p[3 * r + t] * q[3 * t + c] }
                }
            }
            return out
        }
        var m = mul(rz, mul(ry, rx))
        let inverseZoom = [1 / zoom.i, 1 / zoom.j, 1 / zoom.k]
        for r in 0..<3 { for col in 0..<3 { m[3 * r + col] *= inverseZoom[col] } }
        return m
    }

    /// The patch of `size` whose unrotated window starts at `origin` in the volume.
    func resample(image: Volume<Float>, labels: LabelMap, origin: (k: Int, j: Int, i: Int), size: PatchSize,
                  padValue: Float) -> (image: [Float], labels: [UInt8]) {
        let (nx, ny, nz) = (image.shape[0], image.shape[1], image.shape[2])
        let (w, h, d) = (size.w, size.h, size.d)
        let ci = Double(w - 1) / 2, cj = Double(h - 1) / 2, ck = Double(d - 1) / 2
        let centre = (Double(origin.i) + ci, Double(origin.j) + cj, Double(origin.k) + ck)
        var outImage = [Float](repeating: padValue, count: size.count)
        var outLabels = [UInt8](repeating: 0, count: size.count)
        let m = matrix
        image.voxels.withUnsafeBufferPointer { src in
            labels.voxels.withUnsafeBufferPointer { srcLab in
                outImage.withUnsafeMutableBufferPointer { dst in
                    outLabels.withUnsafeMutableBufferPointer { dstLab in
                        for kk in 0..<d {
                            for jj in 0..<h {
                                for ii in 0..<w {
                                    let t = ii + w * (jj + h * kk)
                                    var u = (Double(ii) - ci, Double(jj) - cj, Double(kk) - ck)
                                    if let field = displacement {
                                        u.0 += Double(field.di[t]); u.1 += Double(field.dj[t]); u.2 += Double(field.dk[t])
                                    }
                                    let x = centre.0 + m[0] * u.0 + m[1] * u.1 + m[2] * u.2
                                    let y = centre.1 + m[3] * u.0 + m[4] * u.1 + m[5] * u.2
                                    let z = centre.2 + m[6] * u.0 + m[7] * u.1 + m[8] * u.2
                                    // Labels: nearest voxel, 0 outside.
                                    let (ri, rj, rk) = (Int(x.rounded()), Int(y.rounded()), Int(z.rounded()))
                                    if ri >= 0, ri < nx, rj >= 0, rj < ny, rk >= 0, rk < nz {
                                        dstLab[t] = srcLab[ri + nx * (rj + ny * rk)]
                                    }
                                    // Image: trilinear, voxels outside the volume count as padding.
                                    let (fi, fj, fk) = (x.rounded(.down), y.rounded(.down), z.rounded(.down))
                                    let (i0, j0, k0) = (Int(fi), Int(fj), Int(fk))
                                    guard i0 >= -1, i0 < nx, j0 >= -1, j0 < ny, k0 >= -1, k0 < nz else { continue }
                                    let (wi, wj, wk) = (Float(x - fi), Float(y - fj), Float(z - fk))
                                    if wi == 0, wj == 0, wk == 0 {
                                        if i0 >= 0, j0 >= 0, k0 >= 0 { dst[t] = src[i0 + nx * (j0 + ny * k0)] }
                                        continue
                                    }
                                    func at(_ i: Int, _ j: Int, _ k: Int) -> Float {
                                        i >= 0 && i < nx && j >= 0 && j < ny && k >= 0 && k < nz ? src[i + nx * (j + ny * k)] : padValue
                                    }
                                    let c00 = at(i0, j0, k0) * (1 - wi) + at(i0 + 1, j0, k0) * wi
                                    let c10 = at(i0, j0 + 1, k0) * (1 - wi) + at(i0 + 1, j0 + 1, k0) * wi
                                    let c01 = at(i0, j0, k0 + 1) * (1 - wi) + at(i0 + 1, j0, k0 + 1) * wi
                                    let c11 = at(i0, j0 + 1, k0 + 1) * (1 - wi) + at(i0 + 1, j0 + 1, k0 + 1) * wi
                                    let c0 = c00 * (1 - wj) + c10 * wj, c1 = c01 * (1 - wj) + c11 * wj
                                    dst[t] = c0 * (1 - wk) + c1 * wk
                                }
                            }
                        }
                    }
                }
            }
        }
        return (outImage, outLabels)
    }
}
