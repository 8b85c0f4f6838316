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
        let (w, h, d) = (size.w, size.h, size.d)
        let ci = Double(w - 1) / 2, cj = Double(h - 1) / 2, ck = Double(d - 1) / 2
        let centre = (Double(origin.i) + ci, Double(origin.j) + cj, Double(origin.k) + ck)
        var outImage = [Float](repeating: padValue, count: size.count)
        var outLabels = [UInt8](repeating: 0, count: size.count)
        let m = matrix
        let zero = [Float](repeating: 0, count: displacement == nil ? 0 : 1)
        let (fi, fj, fk) = displacement.map { ($0.di, $0.dj, $0.dk) } ?? (zero, zero, zero)
        let displaced = displacement != nil
        image.voxels.withUnsafeBufferPointer { src in
            labels.voxels.withUnsafeBufferPointer { srcLab in
                outImage.withUnsafeMutableBufferPointer { dst in
                    outLabels.withUnsafeMutableBufferPointer { dstLab in
                        fi.withUnsafeBufferPointer { fi in
                            fj.withUnsafeBufferPointer { fj in
                                fk.withUnsafeBufferPointer { fk in
                                    let sampler = VolumeSampler(image: src, labels: srcLab, shape: image.shape, padValue: padValue)
                                    let (m0, m1, m2, m3, m4, m5, m6, m7, m8) = (m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8])
                                    for kk in 0..<d {
                                        for jj in 0..<h {
                                            for ii in 0..<w {
                                                let t = ii + w * (jj + h * kk)
                                                var u0 = Double(ii) - ci, u1 = Double(jj) - cj, u2 = Double(kk) - ck
                                                if displaced { u0 += Double(fi[t]); u1 += Double(fj[t]); u2 += Double(fk[t]) }
                                                let x = centre.0 + m0 * u0 + m1 * u1 + m2 * u2
                                                let y = centre.1 + m3 * u0 + m4 * u1 + m5 * u2
                                                let z = centre.2 + m6 * u0 + m7 * u1 + m8 * u2
                                                dstLab[t] = sampler.nearestLabel(x, y, z)
                                                dst[t] = sampler.trilinear(x, y, z)
                                            }
                                        }
                                    }
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

/// Reads a volume at a fractional voxel position: labels by nearest voxel (0 outside), the image
/// trilinearly with voxels outside the volume counting as `padValue`.
private struct VolumeSampler {
    let image: UnsafeBufferPointer<Float>
    let labels: UnsafeBufferPointer<UInt8>
    let nx: Int, ny: Int, nz: Int
    let padValue: Float

    init(image: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<UInt8>, shape: [Int], padValue: Float) {
        (self.image, self.labels, self.padValue) = (image, labels, padValue)
        (nx, ny, nz) = (shape[0], shape[1], shape[2])
    }

    @inline(__always) func nearestLabel(_ x: Double, _ y: Double, _ z: Double) -> UInt8 {
        let (i, j, k) = (Int(x.rounded()), Int(y.rounded()), Int(z.rounded()))
        guard i >= 0, i < nx, j >= 0, j < ny, k >= 0, k < nz else { return 0 }
        return labels[i + nx * (j + ny * k)]
    }

    @inline(__always) func trilinear(_ x: Double, _ y: Double, _ z: Double) -> Float {
        let (fx, fy, fz) = (x.rounded(.down), y.rounded(.down), z.rounded(.down))
        guard fx >= -1, fx < Double(nx), fy >= -1, fy < Double(ny), fz >= -1, fz < Double(nz) else { return padValue }
        let (i0, j0, k0) = (Int(fx), Int(fy), Int(fz))
        let (wi, wj, wk) = (Float(x - fx), Float(y - fy), Float(z - fz))
        let plane = nx * ny
        let (v000, v100, v010, v110, v001, v101, v011, v111): (Float, Float, Float, Float, Float, Float, Float, Float)
        if i0 >= 0, i0 + 1 < nx, j0 >= 0, j0 + 1 < ny, k0 >= 0, k0 + 1 < nz {
            let b = i0 + nx * j0 + plane * k0
            (v000, v100, v010, v110) = (image[b], image[b + 1], image[b + nx], image[b + nx + 1])
            (v001, v101, v011, v111) = (image[b + plane], image[b + plane + 1], image[b + plane + nx], image[b + plane + nx + 1])
        } else {
            func at(_ i: Int, _ j: Int, _ k: Int) -> Float {
                i >= 0 && i < nx && j >= 0 && j < ny && k >= 0 && k < nz ? image[i + nx * j + plane * k] : padValue
            }
            (v000, v100, v010, v110) = (at(i0, j0, k0), at(i0 + 1, j0, k0), at(i0, j0 + 1, k0), at(i0 + 1, j0 + 1, k0))
            (v001, v101, v011, v111) = (at(i0, j0, k0 + 1), at(i0 + 1, j0, k0 + 1), at(i0, j0 + 1, k0 + 1), at(i0 + 1, j0 + 1, k0 + 1))
        }
        // Exactly the voxel on a grid point (the identity gives the cut patch bit for bit).
        if wi == 0, wj == 0, wk == 0 { return v000 }
        let c00 = v000 + (v100 - v000) * wi, c10 = v010 + (v110 - v010) * wi
        let c01 = v001 + (v101 - v001) * wi, c11 = v011 + (v111 - v011) * wi
        let c0 = c00 + (c10 - c00) * wj, c1 = c01 + (c11 - c01) * wj
        return c0 + (c1 - c0) * wk
    }
}
