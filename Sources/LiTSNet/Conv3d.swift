import COpenBLAS
import Foundation

// MARK: - Threads and GEMM

/// How LiTSNet's layers use the CPU. The heavy layers split their work into tiles and run them on
/// `workers` Swift threads (DispatchQueue.concurrentPerform), each calling a single-threaded
/// OpenBLAS: measured on a two-core machine this beats one caller with OpenBLAS's own threads,
/// and it never oversubscribes the cores.
public enum NetThreads {
    /// Swift workers per layer call (the CLI's `--threads`). Defaults to the active core count.
    public nonisolated(unsafe) static var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// OpenBLAS is set to one thread once, the first time a layer runs.
    static let singleThreadedBLAS: Void = { openblas_set_num_threads(1) }()

    /// Splits `0..<count` into at most `workers` contiguous chunks and runs `body(worker, chunk)`
    /// on each in parallel. The split depends only on `count` and `workers`, so a run is
    /// reproducible: each worker sums its own partial gradients, then they are added in order.
    static func parallelChunks(_ count: Int, _ body: (_ worker: Int, _ chunk: Range<Int>) -> Void) {
        _ = singleThreadedBLAS
        let n = min(max(1, workers), count)
        if n <= 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: n) { w in
            body(w, (count * w / n)..<(count * (w + 1) / n))
        }
    }
}

/// A raw pointer that worker closures may share; each worker writes a disjoint part.
struct SharedPointer<T>: @unchecked Sendable {
    let p: UnsafeMutablePointer<T>
    init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}

/// Row-major C = alpha * op(A) * op(B) + beta * C, with op(A) m x k and op(B) k x n.
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Bytes of the per-worker column buffer that tiles aim for (im2col and the transposed
/// convolution's scatter buffer). Small enough to stay in the shared L3 cache.
let columnBufferBytes = 4 << 20

// MARK: - Conv3d

/// 3D convolution, stride 1, kernel 3 with "same" padding 1 or kernel 1 (no padding), as
/// PyTorch's `nn.Conv3d(cin, cout, k, padding: k / 2)`. Weight (Cout, Cin, k, k, k), bias (Cout).
///
/// Forward, for each batch item and each tile of output rows (a few (d, h) lines of W voxels):
///   col (Cin*27, T) = im2col(x)             the 27 shifted copies of the input, zero outside
///   y   (Cout, T)   = W (Cout, Cin*27) * col + bias
/// Backward, with the same tiles:
///   dW   += dy (Cout, T) * col^T (T, Cin*27)
///   dbias += sum over voxels of dy
///   dx  = W^T * dy scattered back (col2im), which for stride 1 and same padding is exactly the
///         convolution of dy with the flipped, transposed kernel: Wf[ci, co, a, b, c] =
///         W[co, ci, 2-a, 2-b, 2-c]. So dx runs the same im2col + GEMM as the forward pass (a GEMM
///         with inner size Cout*27 instead of Cout, and no scattered writes). Each output tile is
///         written by one worker, so tiles run in parallel without locks.
/// A kernel-1 convolution needs no im2col: x of one item already is the (Cin, D*H*W) matrix.
public final class Conv3d: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let weight: Parameter
    public let bias: Parameter

    /// Target columns (voxels) per tile; nil picks them from `columnBufferBytes`. Tests set it
    /// small to check that tiling does not change the result.
    var tileColumns: Int?

    private var cachedInput: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int = 3, using rng: inout SeededGenerator) {
        precondition(kernelSize == 3 || kernelSize == 1, "Conv3d supports kernel 3 (same padding) and kernel 1, got \(kernelSize)")
        precondition(inChannels > 0 && outChannels > 0, "Conv3d needs positive channel counts")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        // PyTorch's default: kaiming_uniform_(a: sqrt(5)) gives bound 1/sqrt(fan_in) for the weight,
        // and the bias uses the same bound.
        let fanIn = inChannels * kernelSize * kernelSize * kernelSize
        let bound = 1 / Float(fanIn).squareRoot()
        weight = Parameter(Tensor.uniform([outChannels, inChannels, kernelSize, kernelSize, kernelSize], bound: bound, using: &rng))
        bias = Parameter(Tensor.uniform([outChannels], bound: bound, using: &rng))
    }

    public var namedParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }

    /// Columns of one GEMM row: Cin * k^3.
    var patchSize: Int { inChannels * kernelSize * kernelSize * kernelSize }

    public func forward(_ x: Tensor) -> Tensor {
        let (n, c, d, h, w) = x.ncdhw
        precondition(c == inChannels, "Conv3d expects \(inChannels) input channels, got \(c) (shape \(x.shape))")
        cachedInput = x
        var y = Tensor(shape: [n, outChannels, d, h, w])
        let bias = self.bias.value.data
        weight.value.data.withUnsafeBufferPointer { wp in
            x.data.withUnsafeBufferPointer { xp in
                y.data.withUnsafeMutableBufferPointer { yp in
                    Conv3d.convolve(x: xp.baseAddress!, n: n, cin: inChannels, d: d, h: h, w: w,
                                    kernel: kernelSize, weight: wp.baseAddress!, cout: outChannels,
                                    bias: bias, y: SharedPointer(yp.baseAddress!), tileColumns: tileColumns)
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = cachedInput else { preconditionFailure("Conv3d.backward called before forward") }
        let (n, cin, d, h, w) = x.ncdhw
        precondition(dy.shape == [n, outChannels, d, h, w], "Conv3d.backward: dy has shape \(dy.shape), expected \([n, outChannels, d, h, w])")
        let cout = outChannels, k3 = kernelSize * kernelSize * kernelSize, patch = patchSize
        let s = d * h * w, rows = d * h
        let rowsPerTile = Conv3d.rowsPerTile(rows: rows, width: w, items: n, bytesPerColumn: patch * 4, tileColumns: tileColumns)
        let tilesPerItem = (rows + rowsPerTile - 1) / rowsPerTile
        let workers = min(max(1, NetThreads.workers), n * tilesPerItem)

        // 1. Weight and bias gradients: per-worker partial sums, added in worker order.
        let dWParts = UnsafeMutablePointer<Float>.allocate(capacity: workers * cout * patch)
        let dbParts = UnsafeMutablePointer<Float>.allocate(capacity: workers * cout)
        dWParts.initialize(repeating: 0, count: workers * cout * patch)
        dbParts.initialize(repeating: 0, count: workers * cout)
        defer { dWParts.deallocate(); dbParts.deallocate() }
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dyp in
                let dWs = SharedPointer(dWParts), dbs = SharedPointer(dbParts)
                let xb = xp.baseAddress!, dyb = dyp.baseAddress!
                NetThreads.parallelChunks(n * tilesPerItem) { worker, chunk in
                    let dW = dWs.p + worker * cout * patch, db = dbs.p + worker * cout
                    let col = kernelSize == 3 ? UnsafeMutablePointer<Float>.allocate(capacity: patch * rowsPerTile * w) : nil
                    defer { col?.deallocate() }
                    for item in chunk {
                        let b = item / tilesPerItem
                        let r0 = (item % tilesPerItem) * rowsPerTile, r1 = min(rows, r0 + rowsPerTile)
                        let cols = (r1 - r0) * w
                        let dyTile = dyb + b * cout * s + r0 * w
                        for co in 0..<cout {
                            var acc: Float = 0
                            let row = dyTile + co * s
                            for i in 0..<cols { acc += row[i] }
                            db[co] += acc
                        }
                        if let col {
                            Conv3d.im2col(xb + b * cin * s, channels: cin, d: d, h: h, w: w, rows: r0..<r1, into: col)
                            // dW (Cout, Cin*27) += dy (Cout, T) * col^T (T, Cin*27)
                            sgemm(transB: true, m: cout, n: patch, k: cols, a: dyTile, lda: s,
                                  b: col, ldb: cols, beta: 1, c: dW, ldc: patch)
                        } else {
                            // dW (Cout, Cin) += dy (Cout, T) * x^T (T, Cin)
                            sgemm(transB: true, m: cout, n: cin, k: cols, a: dyTile, lda: s,
                                  b: xb + b * cin * s + r0 * w, ldb: s, beta: 1, c: dW, ldc: patch)
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

        // 2. Input gradient.
        var dx = Tensor(shape: x.shape)
        dx.data.withUnsafeMutableBufferPointer { dxp in
            let dxs = SharedPointer(dxp.baseAddress!)
            dy.data.withUnsafeBufferPointer { dyp in
                if kernelSize == 3 {
                    // dx = conv(dy, flipped and transposed kernel), weight (Cin, Cout*27).
                    var flipped = [Float](repeating: 0, count: cin * cout * k3)
                    weight.value.data.withUnsafeBufferPointer { wp in
                        for co in 0..<cout { for ci in 0..<cin { for k in 0..<k3 {
                            flipped[(ci * cout + co) * k3 + (k3 - 1 - k)] = wp[(co * cin + ci) * k3 + k]
                        } } }
                    }
                    flipped.withUnsafeBufferPointer { fp in
                        Conv3d.convolve(x: dyp.baseAddress!, n: n, cin: cout, d: d, h: h, w: w, kernel: 3,
                                        weight: fp.baseAddress!, cout: cin, bias: nil, y: dxs, tileColumns: tileColumns)
                    }
                } else {
                    // dx (Cin, T) = W^T (Cin, Cout) * dy (Cout, T)
                    weight.value.data.withUnsafeBufferPointer { wp in
                        let wb = wp.baseAddress!, dyb = dyp.baseAddress!
                        let rowsPerTile = Conv3d.rowsPerTile(rows: rows, width: w, items: n, bytesPerColumn: cout * 4, tileColumns: tileColumns)
                        let tiles = (rows + rowsPerTile - 1) / rowsPerTile
                        NetThreads.parallelChunks(n * tiles) { _, chunk in
                            for item in chunk {
                                let b = item / tiles
                                let r0 = (item % tiles) * rowsPerTile, r1 = min(rows, r0 + rowsPerTile)
                                sgemm(transA: true, m: cin, n: (r1 - r0) * w, k: cout, a: wb, lda: cin,
                                      b: dyb + b * cout * s + r0 * w, ldb: s, beta: 0,
                                      c: dxs.p + b * cin * s + r0 * w, ldc: s)
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    /// How many (d, h) rows of W voxels one tile holds: as many as fit `tileColumns` (or the
    /// column-buffer budget), but few enough that every worker gets tiles.
    static func rowsPerTile(rows: Int, width: Int, items: Int, bytesPerColumn: Int, tileColumns: Int?) -> Int {
        if let tileColumns { return max(1, min(rows, tileColumns / width)) }
        var r = max(1, min(rows, columnBufferBytes / max(1, bytesPerColumn * width)))
        let workers = NetThreads.workers
        if items * ((rows + r - 1) / r) < workers {
            let tilesPerItem = (workers + items - 1) / items
            r = max(1, (rows + tilesPerItem - 1) / tilesPerItem)
        }
        return r
    }

    /// y (N, Cout, D, H, W) = conv(x (N, Cin, D, H, W), weight (Cout, Cin*k^3)) + bias, tiled
    /// over rows and run on the workers. Every tile writes its own part of y.
    static func convolve(x: UnsafePointer<Float>, n: Int, cin: Int, d: Int, h: Int, w: Int, kernel: Int,
                         weight: UnsafePointer<Float>, cout: Int, bias: [Float]?, y: SharedPointer<Float>,
                         tileColumns: Int?) {
        let s = d * h * w, rows = d * h
        let patch = cin * kernel * kernel * kernel
        let rowsPerTile = rowsPerTile(rows: rows, width: w, items: n, bytesPerColumn: patch * 4, tileColumns: tileColumns)
        let tilesPerItem = (rows + rowsPerTile - 1) / rowsPerTile
        NetThreads.parallelChunks(n * tilesPerItem) { _, chunk in
            let col = kernel == 3 ? UnsafeMutablePointer<Float>.allocate(capacity: patch * rowsPerTile * w) : nil
            defer { col?.deallocate() }
            for item in chunk {
                let b = item / tilesPerItem
                let r0 = (item % tilesPerItem) * rowsPerTile, r1 = min(rows, r0 + rowsPerTile)
                let cols = (r1 - r0) * w
                let yTile = y.p + b * cout * s + r0 * w
                var beta: Float = 0
                if let bias {
                    for co in 0..<cout { (yTile + co * s).update(repeating: bias[co], count: cols) }
                    beta = 1
                }
                if let col {
                    im2col(x + b * cin * s, channels: cin, d: d, h: h, w: w, rows: r0..<r1, into: col)
                    // y (Cout, T) = W (Cout, Cin*27) * col (Cin*27, T)
                    sgemm(m: cout, n: cols, k: patch, a: weight, lda: patch, b: col, ldb: cols,
                          beta: beta, c: yTile, ldc: s)
                } else {
                    // y (Cout, T) = W (Cout, Cin) * x (Cin, T)
                    sgemm(m: cout, n: cols, k: cin, a: weight, lda: cin, b: x + b * cin * s + r0 * w, ldb: s,
                          beta: beta, c: yTile, ldc: s)
                }
            }
        }
    }

    /// Column matrix of a 3x3x3 same-padded convolution for output rows `rows` (row r is the
    /// line (d, h) = (r / H, r % H)) of one item x (C, D, H, W):
    ///   col[(c*27 + a*9 + b*3 + e), (r - rows.lowerBound) * W + i] = x[c, d+a-1, h+b-1, i+e-1]
    /// with zeros outside the volume. The row order matches the weight's (Cout, Cin, 3, 3, 3).
    static func im2col(_ x: UnsafePointer<Float>, channels: Int, d: Int, h: Int, w: Int,
                       rows: Range<Int>, into col: UnsafeMutablePointer<Float>) {
        let cols = rows.count * w
        for c in 0..<channels {
            let xc = x + c * d * h * w
            for a in 0..<3 { for b in 0..<3 {
                let base = col + (c * 27 + a * 9 + b * 3) * cols
                for r in rows {
                    let sd = r / h + a - 1, sh = r % h + b - 1
                    let o = (r - rows.lowerBound) * w
                    let out0 = base + o, out1 = base + cols + o, out2 = base + 2 * cols + o
                    if sd < 0 || sd >= d || sh < 0 || sh >= h {
                        out0.update(repeating: 0, count: w)
                        out1.update(repeating: 0, count: w)
                        out2.update(repeating: 0, count: w)
                        continue
                    }
                    let src = xc + (sd * h + sh) * w
                    // e = 0 reads i - 1, e = 1 reads i, e = 2 reads i + 1.
                    out0[0] = 0
                    (out0 + 1).update(from: src, count: w - 1)
                    out1.update(from: src, count: w)
                    out2.update(from: src + 1, count: w - 1)
                    out2[w - 1] = 0
                }
            } }
        }
    }
}
