import Foundation
import LiTSCore

/// How values between voxel centres are computed.
public enum Interpolation: String, Sendable, CaseIterable, Codable {
    /// Nearest neighbour: the only choice for labels (never interpolate labels and round).
    case nearest
    /// Trilinear.
    case linear
    /// Keys cubic convolution (a = -0.5, Catmull-Rom), separable; may overshoot at edges.
    case cubic
}

/// Resampling to a new shape on the same field of view. Voxel centres are aligned as in
/// `scipy.ndimage.zoom(grid_mode=True)`: output voxel o samples input position
/// (o + 0.5) * nIn / nOut - 0.5, so the new spacing is exactly spacing * nIn / nOut and the
/// new affine maps every output voxel to the world point it was sampled from.
public enum Resampler {
    /// The grid a resampling to `shape` produces.
    public static func grid(from g: Grid, to shape: [Int]) -> Grid {
        let scale = (0..<3).map { Double(g.shape[$0]) / Double(shape[$0]) }
        // output index o -> input index o * s + (s - 1) / 2
        var m = Affine.identity
        for a in 0..<3 {
            m[a, a] = scale[a]
            m[a, 3] = (scale[a] - 1) / 2
        }
        return Grid(shape: shape, spacing: (0..<3).map { g.spacing[$0] * scale[$0] }, affine: g.affine * m)
    }

    /// Resamples CT values. With `clippingTo`, input values are first clipped to the window, fused
    /// into the first pass so the full-size volume is read once and never copied.
    public static func resample(_ v: Volume<Float>, to shape: [Int], interpolation: Interpolation,
                                clippingTo window: HUWindow? = nil) -> Volume<Float> {
        let target = grid(from: v.grid, to: shape)
        if shape == v.shape {
            return Volume(grid: target, voxels: window.map { v.clipped(to: $0).voxels } ?? v.voxels)
        }
        var data = v.voxels
        var current = v.shape
        var clamp = window.map { ($0.low, $0.high) }
        // In-plane axes first: they usually shrink most, so later passes touch fewer voxels.
        for axis in [0, 1, 2] where current[axis] != shape[axis] {
            let kernel = Kernel(nIn: current[axis], nOut: shape[axis], interpolation: interpolation)
            data = resampleAxis(data, shape: current, axis: axis, kernel: kernel,
                                clamp: clamp ?? (-Float.infinity, Float.infinity))
            clamp = nil
            current[axis] = shape[axis]
        }
        return Volume(grid: target, voxels: data)
    }

    /// Labels: nearest neighbour only.
    public static func resample(_ v: LabelMap, to shape: [Int]) -> LabelMap {
        let target = grid(from: v.grid, to: shape)
        let maps = (0..<3).map { a in Kernel(nIn: v.shape[a], nOut: shape[a], interpolation: .nearest).indices }
        var out = [UInt8](repeating: 0, count: target.count)
        let nx = v.shape[0], ny = v.shape[1]
        v.voxels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let base = dst.baseAddress!
                Parallel.perform(iterations: shape[2]) { k in
                    let sk = maps[2][k * 1]
                    for j in 0..<shape[1] {
                        let row = nx * (maps[1][j] + ny * sk)
                        let o = shape[0] * (j + shape[1] * k)
                        for i in 0..<shape[0] { base[o + i] = src[row + maps[0][i]] }
                    }
                }
            }
        }
        return Volume(grid: target, voxels: out)
    }

    /// Taps and weights of every output position along one axis (clamped at the borders).
    struct Kernel {
        let taps: Int
        let indices: [Int]   // nOut * taps
        let weights: [Float] // nOut * taps

        init(nIn: Int, nOut: Int, interpolation: Interpolation) {
            let scale = Double(nIn) / Double(nOut)
            func clamp(_ i: Int) -> Int { min(max(i, 0), nIn - 1) }
            var idx: [Int] = []
            var w: [Float] = []
            switch interpolation {
            case .nearest:
                taps = 1
                for o in 0..<nOut {
                    let x = (Double(o) + 0.5) * scale - 0.5
                    idx.append(clamp(Int((x + 0.5).rounded(.down))))
                    w.append(1)
                }
            case .linear:
                taps = 2
                for o in 0..<nOut {
                    let x = min(max((Double(o) + 0.5) * scale - 0.5, 0), Double(nIn - 1))
                    let i0 = Int(x.rounded(.down))
                    let f = Float(x - Double(i0))
                    idx += [clamp(i0), clamp(i0 + 1)]
                    w += [1 - f, f]
                }
            case .cubic:
                taps = 4
                func keys(_ t: Double) -> Double {  // a = -0.5
                    let t = abs(t)
                    if t <= 1 { return (1.5 * t - 2.5) * t * t + 1 }
                    if t < 2 { return ((-0.5 * t + 2.5) * t - 4) * t + 2 }
                    return 0
                }
                for o in 0..<nOut {
                    let x = min(max((Double(o) + 0.5) * scale - 0.5, 0), Double(nIn - 1))
                    let i0 = Int(x.rounded(.down))
                    for t in -1...2 {
                        idx.append(clamp(i0 + t))
                        w.append(Float(keys(x - Double(i0 + t))))
                    }
                }
            }
            indices = idx
            weights = w
        }
    }

    /// One separable pass along `axis`, parallel over the outer slices.
    static func resampleAxis(_ src: [Float], shape: [Int], axis: Int, kernel: Kernel,
                             clamp: (Float, Float) = (-.infinity, .infinity)) -> [Float] {
        let (lo, hi) = clamp
        @inline(__always) func c(_ x: Float) -> Float { x < lo ? lo : (x > hi ? hi : x) }
        let nOut = kernel.indices.count / kernel.taps
        var outShape = shape
        outShape[axis] = nOut
        let (nx, ny, nz) = (shape[0], shape[1], shape[2])
        let (ox, oy) = (outShape[0], outShape[1])
        let taps = kernel.taps
        let outCount = outShape.reduce(1, *)
        // Every element is written below (each pass assigns before it adds).
        var out: [Float] = HugePages.array(count: outCount) { _ in }
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                let sp = s.baseAddress!, dp = d.baseAddress!
                kernel.indices.withUnsafeBufferPointer { ix in
                    kernel.weights.withUnsafeBufferPointer { wt in
                        Parallel.perform(iterations: outShape[2]) { k in
                            switch axis {
                            case 0:  // along rows
                                for j in 0..<ny {
                                    let row = sp + nx * (j + ny * k)
                                    let orow = dp + ox * (j + oy * k)
                                    for o in 0..<nOut {
                                        var acc: Float = 0
                                        for t in 0..<taps { acc += wt[o * taps + t] * c(row[ix[o * taps + t]]) }
                                        orow[o] = acc
                                    }
                                }
                            case 1:  // combine whole rows: contiguous, vectorises
                                for o in 0..<nOut {
                                    let orow = dp + nx * (o + oy * k)
                                    for t in 0..<taps {
                                        let w = wt[o * taps + t]
                                        let row = sp + nx * (ix[o * taps + t] + ny * k)
                                        if t == 0 { for i in 0..<nx { orow[i] = w * c(row[i]) } }
                                        else { for i in 0..<nx { orow[i] += w * c(row[i]) } }
                                    }
                                }
                            default:  // combine whole slices
                                let plane = nx * ny
                                let oslice = dp + plane * k
                                for t in 0..<taps {
                                    let w = wt[k * taps + t]
                                    let slice = sp + plane * ix[k * taps + t]
                                    if t == 0 { for i in 0..<plane { oslice[i] = w * c(slice[i]) } }
                                    else { for i in 0..<plane { oslice[i] += w * c(slice[i]) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        _ = nz
        return out
    }
}
