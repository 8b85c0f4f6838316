import Foundation
import LiTSCore

/// Transposed 3D convolution with kernel 2 and stride 2, the U-Net's up-sampling, as PyTorch's
/// `nn.ConvTranspose3d(cin, cout, 2, stride: 2)`. Weight (Cin, Cout, 2, 2, 2), bias (Cout).
///
/// Each input voxel (d, h, w) owns the output block (2d..2d+1, 2h..2h+1, 2w..2w+1), and the blocks
/// do not overlap:
///   y[co, 2d+a, 2h+b, 2w+c] = bias[co] + sum_ci x[ci, d, h, w] * W[ci, co, a, b, c]
/// so with W seen as the matrix (Cin, Cout*8) the layer is one matrix product per voxel column:
///   Z (Cout*8, T) = W^T * x (Cin, T),    then Z scattered into the 2x2x2 blocks.
/// Backward, per tile of input rows:
///   dZ (Cout*8, T) gathered from the blocks of dy
///   dx (Cin, T)       = W (Cin, Cout*8) * dZ
///   dW (Cin, Cout*8) += x (Cin, T) * dZ^T
///   dbias[co]        += sum of dZ's 8 rows of co
public final class ConvTranspose3d: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let weight: Parameter
    public let bias: Parameter

    /// Target input voxels per tile; nil picks them from the column-buffer budget.
    var tileColumns: Int?

    /// Workers for the layer's calls (a UNet3D hands its own context to every layer).
    public var context: NetContext

    private var cachedInput: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, context: NetContext = .default, using rng: inout SeededGenerator) {
        precondition(inChannels > 0 && outChannels > 0, "ConvTranspose3d needs positive channel counts")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.context = context
        // PyTorch computes fan_in from weight.size(1) * kernel volume, i.e. Cout * 8 for a
        // transposed convolution; the bound is 1/sqrt(fan_in) for weight and bias.
        let bound = 1 / Float(outChannels * 8).squareRoot()
        weight = Parameter(Tensor.uniform([inChannels, outChannels, 2, 2, 2], bound: bound, using: &rng))
        bias = Parameter(Tensor.uniform([outChannels], bound: bound, using: &rng))
    }

    public var namedParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }

    public func forward(_ x: Tensor) -> Tensor {
        let (n, cin, d, h, w) = x.ncdhw
        precondition(cin == inChannels, "ConvTranspose3d expects \(inChannels) input channels, got \(cin) (shape \(x.shape))")
        cachedInput = x
        let cout = outChannels, m = cout * 8
        let s = d * h * w, rows = d * h, ow = 2 * w, os = 8 * s
        let rowsPerTile = Conv3d.rowsPerTile(rows: rows, width: w, items: n, bytesPerColumn: m * 4, tileColumns: tileColumns,
                                             workers: context.workers)
        let tiles = (rows + rowsPerTile - 1) / rowsPerTile
        let bias = self.bias.value.data
        // The 2x2x2 blocks tile the output, so the scatter writes every value of y once.
        return Tensor.uninitialized([n, cout, 2 * d, 2 * h, 2 * w]) { yp in
            weight.value.data.withUnsafeBufferPointer { wp in
                x.data.withUnsafeBufferPointer { xp in
                    let ys = SharedPointer(yp)
                    let wb = wp.baseAddress!, xb = xp.baseAddress!
                    NetThreads.parallelChunks(n * tiles, workers: context.workers) { _, chunk in
                        let z = UnsafeMutablePointer<Float>.allocate(capacity: m * rowsPerTile * w)   // (Cout*8, R*W)
                        defer { z.deallocate() }
                        for item in chunk {
                            let bi = item / tiles
                            let r0 = (item % tiles) * rowsPerTile, r1 = min(rows, r0 + rowsPerTile)
                            let cols = (r1 - r0) * w
                            // Z (Cout*8, T) = W^T (Cout*8, Cin) * x (Cin, T)
                            sgemm(transA: true, m: m, n: cols, k: cin, a: wb, lda: m,
                                  b: xb + bi * cin * s + r0 * w, ldb: s, beta: 0, c: z, ldc: cols)
                            // Scatter: row (co, a, b, c) of Z, column (r, i) -> y[co, 2d+a, 2h+b, 2i+c].
                            for co in 0..<cout {
                                let yc = ys.p + (bi * cout + co) * os
                                let bco = bias[co]
                                for a in 0..<2 { for b in 0..<2 {
                                    let z0 = z + (co * 8 + a * 4 + b * 2) * cols, z1 = z0 + cols
                                    for r in r0..<r1 {
                                        let out = yc + ((2 * (r / h) + a) * 2 * h + 2 * (r % h) + b) * ow
                                        let o = (r - r0) * w
                                        for i in 0..<w {
                                            out[2 * i] = z0[o + i] + bco
                                            out[2 * i + 1] = z1[o + i] + bco
                                        }
                                    }
                                } }
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = cachedInput else { preconditionFailure("ConvTranspose3d.backward called without a forward before it") }
        cachedInput = nil
        let (n, cin, d, h, w) = x.ncdhw
        let cout = outChannels, m = cout * 8
        precondition(dy.shape == [n, cout, 2 * d, 2 * h, 2 * w], "ConvTranspose3d.backward: dy has shape \(dy.shape), expected \([n, cout, 2 * d, 2 * h, 2 * w])")
        let s = d * h * w, rows = d * h, ow = 2 * w, os = 8 * s
        let rowsPerTile = Conv3d.rowsPerTile(rows: rows, width: w, items: n, bytesPerColumn: m * 4, tileColumns: tileColumns,
                                             workers: context.workers)
        let tiles = (rows + rowsPerTile - 1) / rowsPerTile
        let workers = min(max(1, context.workers), n * tiles)
        let dWParts = UnsafeMutablePointer<Float>.allocate(capacity: workers * cin * m)   // (workers, Cin, Cout*8)
        let dbParts = UnsafeMutablePointer<Float>.allocate(capacity: workers * cout)   // (workers, Cout)
        dWParts.initialize(repeating: 0, count: workers * cin * m)
        dbParts.initialize(repeating: 0, count: workers * cout)
        defer { dWParts.deallocate(); dbParts.deallocate() }
        var dx = Tensor(shape: x.shape)
        weight.value.data.withUnsafeBufferPointer { wp in
            x.data.withUnsafeBufferPointer { xp in
                dy.data.withUnsafeBufferPointer { dyp in
                    dx.data.withUnsafeMutableBufferPointer { dxp in
                        let dxs = SharedPointer(dxp.baseAddress!), dWs = SharedPointer(dWParts), dbs = SharedPointer(dbParts)
                        let wb = wp.baseAddress!, xb = xp.baseAddress!, dyb = dyp.baseAddress!
                        NetThreads.parallelChunks(n * tiles, workers: context.workers) { worker, chunk in
                            let dz = UnsafeMutablePointer<Float>.allocate(capacity: m * rowsPerTile * w)   // (Cout*8, R*W)
                            defer { dz.deallocate() }
                            let dW = dWs.p + worker * cin * m, db = dbs.p + worker * cout
                            for item in chunk {
                                let bi = item / tiles
                                let r0 = (item % tiles) * rowsPerTile, r1 = min(rows, r0 + rowsPerTile)
                                let cols = (r1 - r0) * w
                                // Gather dZ from the 2x2x2 blocks of dy, summing the bias gradient.
                                for co in 0..<cout {
                                    let dyc = dyb + (bi * cout + co) * os
                                    var acc: Float = 0
                                    for a in 0..<2 { for b in 0..<2 {
                                        let z0 = dz + (co * 8 + a * 4 + b * 2) * cols, z1 = z0 + cols
                                        for r in r0..<r1 {
                                            let src = dyc + ((2 * (r / h) + a) * 2 * h + 2 * (r % h) + b) * ow
                                            let o = (r - r0) * w
                                            for i in 0..<w {
                                                let v0 = src[2 * i], v1 = src[2 * i + 1]
                                                z0[o + i] = v0
                                                z1[o + i] = v1
                                                acc += v0 + v1
                                            }
                                        }
                                    } }
                                    db[co] += acc
                                }
                                let xTile = xb + bi * cin * s + r0 * w
                                // dx (Cin, T) = W (Cin, Cout*8) * dZ (Cout*8, T)
                                sgemm(m: cin, n: cols, k: m, a: wb, lda: m, b: dz, ldb: cols,
                                      beta: 0, c: dxs.p + bi * cin * s + r0 * w, ldc: s)
                                // dW (Cin, Cout*8) += x (Cin, T) * dZ^T (T, Cout*8)
                                sgemm(transB: true, m: cin, n: m, k: cols, a: xTile, lda: s, b: dz, ldb: cols,
                                      beta: 1, c: dW, ldc: m)
                            }
                        }
                    }
                }
            }
        }
        weight.grad.data.withUnsafeMutableBufferPointer { g in
            for wk in 0..<workers { for i in 0..<g.count { g[i] += dWParts[wk * g.count + i] } }
        }
        bias.grad.data.withUnsafeMutableBufferPointer { g in
            for wk in 0..<workers { for i in 0..<cout { g[i] += dbParts[wk * cout + i] } }
        }
        return dx
    }
}
