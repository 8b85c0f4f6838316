import Foundation
import LiTSCore

// Conv3d, the U-Net's convolution layer (kernel 3 same-padded, or kernel 1): its parameters, the
// im2col + GEMM implementation that runs everywhere, and the hand-off to DirectConv3d where the
// context says `.direct` or `.directAVX2`. Tiles run on the context's workers (NetThreads.swift); GEMMs go through
// `sgemm` (BLAS.swift).

/// Bytes of the per-worker buffers that one im2col tile aims for (the padded-row column buffers
/// plus the GEMM output, or the transposed convolution's scatter buffer): tiles whose buffers fit
/// in a core's L2 cache. How it was chosen: benchmarks/constants.md.
///
let columnBufferBytes = 1_500_000

/// 3D convolution, stride 1, kernel 3 with "same" padding 1 or kernel 1 (no padding), as
/// PyTorch's `nn.Conv3d(cin, cout, k, padding: k / 2)`. Weight (Cout, Cin, k, k, k), bias (Cout).
///
/// Where the context says `.direct` (the CPU has AVX-512) or `.directAVX2` (AVX2 + FMA), kernel 3
/// runs as a direct convolution (DirectConv3d.swift). What follows is the im2col + GEMM path, which runs everywhere else and is
/// the reference that path is tested against.
///
/// Kernel 3, forward, for each batch item and each tile of R output rows (a row is one line
/// (d, h) of W voxels), the textbook im2col + GEMM is
///   col (Cin*27, T) = im2col(x)              the 27 shifted copies of the input, zero outside
///   y   (Cout, T)   = W (Cout, Cin*27) * col + bias
/// The three shifts along w (kernel index e = 0, 1, 2) of one input line are the same numbers
/// moved by one place, so `im2col` stores each line only once, with a zero before it, in rows of
/// W + 1 columns ("padded rows", see `im2col`), and the product runs as three GEMMs over the
/// 9 (d, h) shifts, each reading the buffer one column further along (`multiplyShifts`):
///   z (Cout, R*(W+1)) = sum over e of W_e (Cout, Cin*9) * colP[:, e ...]
/// which writes a third of the im2col data; z's columns are then copied to y with the bias
/// added, dropping the column at each line's pad (`storeRows`). (Why three GEMMs and not the
/// textbook one: benchmarks/constants.md.)
///
/// Backward, in one pass over the same tiles, with colX = im2col(x) and colD = im2col(dy):
///   dbias += sum over voxels of dy
///   dW_e  += dyP (Cout, R*(W+1)) * colX[:, e ...]^T    dyP = dy in padded rows, 0 at the pads,
///                                                     which is colD's centre shift (a, b) = (1, 1)
///   dx     = W^T * dy scattered back (col2im), which for stride 1 and same padding is exactly
///            the convolution of dy with the flipped, transposed kernel
///            Wf[ci, co, a, b, e] = W[co, ci, 2-a, 2-b, 2-e]: the forward's GEMMs on colD, with
///            inner size Cout*9, and no scattered writes, so every tile writes only its own rows
///            of dx and tiles run in parallel without locks or overlapping halos.
/// Kernel 1 needs no im2col: x of one item already is the (Cin, D*H*W) matrix, and
///   y = W x + bias,   dW += dy x^T,   dbias += sum of dy,   dx = W^T dy.
public final class Conv3d: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let weight: Parameter
    public let bias: Parameter

    /// Whether `backward` computes dx. The network's first convolution sets it false: its input
    /// is the image, whose gradient nobody reads, and with one input channel dx is a GEMM with a
    /// single row, the slowest part of that layer. `backward` then returns an empty tensor.
    public var computesInputGradient = true

    /// Target columns (voxels) per tile; nil picks them from `columnBufferBytes`. Tests set it
    /// small to check that tiling does not change the result.
    var tileColumns: Int?

    /// Workers and convolution path (a UNet3D hands its own to every layer).
    public var context: NetContext

    private var cachedInput: Tensor?

    /// The kernels that kernel 3 runs through DirectConv3d with where the context says `.direct`
    /// (AVX-512) or `.directAVX2`; nil for im2col, or where a test asked for im2col tiles of its own size.
    private var directKernels: DirectKernels? { kernelSize == 3 && tileColumns == nil ? context.convolution.directKernels : nil }
    private var usesDirectPath: Bool { directKernels != nil }
    /// int8 where the context asks for it, but not for fewer than 4 input channels (the image):
    /// vpdpbusd would use 1 to 3 of each lane's 4 bytes, no faster than fp32, and the image is
    /// where rounding costs the most accuracy.
    private var usesInt8: Bool { context.precision == .int8 && inChannels >= 4 }

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int = 3, context: NetContext = .default,
                using rng: inout SeededGenerator) {
        precondition(kernelSize == 3 || kernelSize == 1, "Conv3d supports kernel 3 (same padding) and kernel 1, got \(kernelSize)")
        precondition(inChannels > 0 && outChannels > 0, "Conv3d needs positive channel counts")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.context = context
        // PyTorch's default: kaiming_uniform_(a: sqrt(5)) gives bound 1/sqrt(fan_in) for the weight,
        // and the bias uses the same bound.
        let fanIn = inChannels * kernelSize * kernelSize * kernelSize
        let bound = 1 / Float(fanIn).squareRoot()
        weight = Parameter(Tensor.uniform([outChannels, inChannels, kernelSize, kernelSize, kernelSize], bound: bound, using: &rng))
        bias = Parameter(Tensor.uniform([outChannels], bound: bound, using: &rng))
    }

    public var namedParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }

    public func forward(_ x: Tensor) -> Tensor {
        let (n, c, d, h, w) = x.ncdhw
        precondition(c == inChannels, "Conv3d expects \(inChannels) input channels, got \(c) (shape \(x.shape))")
        cachedInput = x
        let bias = self.bias.value.data
        if usesDirectPath && context.precision == .bf16 {
            return DirectConv3dBF16.forward(x, weight: weight.value, bias: bias, outChannels: outChannels, workers: context.workers)
        }
        if usesDirectPath && usesInt8 {
            return DirectConv3dInt8.forward(x, weight: weight.value, bias: bias, outChannels: outChannels, workers: context.workers)
        }
        if let kernels = directKernels {
            return DirectConv3d.forward(x, weight: weight.value, bias: bias, outChannels: outChannels, kernels: kernels,
                                        shape: context.kernelShape(for: kernels), workers: context.workers)
        }
        return Tensor.uninitialized([n, outChannels, d, h, w]) { yp in
            weight.value.data.withUnsafeBufferPointer { wt in
                x.data.withUnsafeBufferPointer { xp in
                    Conv3d.convolve(x: xp.baseAddress!, n: n, cin: inChannels, d: d, h: h, w: w,
                                    kernel: kernelSize, weight: wt.baseAddress!, cout: outChannels,
                                    bias: bias, y: SharedPointer(yp), tileColumns: tileColumns, workers: context.workers)
                }
            }
        }
    }

    /// Eval mode conv -> batch norm (-> ReLU) in one pass, where the direct path runs: with fixed
    /// statistics the batch norm is y * s + t per channel (s = gamma / sqrt(running_var + eps),
    /// t = beta - running_mean * s), folded into the weights (W * s) and the bias (b * s + t).
    /// Returns nil where the path is not available; nothing is cached for backward.
    func forwardFolding(_ bn: BatchNorm3d, relu: Bool, _ x: Tensor) -> Tensor? {
        guard let kernels = directKernels, !bn.isTraining else { return nil }
        let (_, c, _, _, _) = x.ncdhw
        precondition(c == inChannels, "Conv3d expects \(inChannels) input channels, got \(c) (shape \(x.shape))")
        let scale = (0..<outChannels).map { o in
            bn.weight.value.data[o] / (bn.runningVar.value.data[o] + bn.eps).squareRoot()
        }
        let shift = (0..<outChannels).map { (o: Int) -> Float in
            let mean: Float = bn.runningMean.value.data[o], beta: Float = bn.bias.value.data[o]
            return (bias.value.data[o] - mean) * scale[o] + beta
        }
        if context.precision == .bf16 {
            return DirectConv3dBF16.forward(x, weight: weight.value, bias: shift, outChannels: outChannels, scale: scale,
                                            relu: relu, workers: context.workers)
        }
        if usesInt8 {
            return DirectConv3dInt8.forward(x, weight: weight.value, bias: shift, outChannels: outChannels, scale: scale,
                                            relu: relu, workers: context.workers)
        }
        return DirectConv3d.forward(x, weight: weight.value, bias: shift, outChannels: outChannels, scale: scale, relu: relu,
                                    kernels: kernels, shape: context.kernelShape(for: kernels), workers: context.workers)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = cachedInput else { preconditionFailure("Conv3d.backward called without a forward before it") }
        cachedInput = nil
        let (n, cin, d, h, w) = x.ncdhw
        let cout = outChannels, s = d * h * w, rows = d * h
        precondition(dy.shape == [n, cout, d, h, w], "Conv3d.backward: dy has shape \(dy.shape), expected \([n, cout, d, h, w])")
        precondition(!(usesDirectPath && context.precision == .int8), "int8 convolutions are for inference only: train in fp32 or bf16")
        if usesDirectPath && context.precision == .bf16 {
            let dx = DirectConv3dBF16.backward(x: x, dy: dy, weight: weight.value, inputGradient: computesInputGradient,
                                               weightGrad: &weight.grad.data, biasGrad: &bias.grad.data, workers: context.workers)
            return dx ?? Tensor(shape: [0])
        }
        if let kernels = directKernels {
            let dx = DirectConv3d.backward(x: x, dy: dy, weight: weight.value, inputGradient: computesInputGradient,
                                           weightGrad: &weight.grad.data, biasGrad: &bias.grad.data, kernels: kernels,
                                           shape: context.kernelShape(for: kernels), workers: context.workers)
            return dx ?? Tensor(shape: [0])
        }
        let k3 = kernelSize == 3
        let wp = w + 1, wCount = cout * cin * (k3 ? 27 : 1)
        // Per tile: x's and dy's column buffers and dx's GEMM output (kernel 3).
        let rowsPerTile = Conv3d.rowsPerTile(rows: rows, width: w, items: n,
                                             bytesPerColumn: (k3 ? cin * 10 + cout * 9 : cin + cout) * 4, tileColumns: tileColumns,
                                             workers: context.workers)
        let tiles = (rows + rowsPerTile - 1) / rowsPerTile
        let workers = min(max(1, context.workers), n * tiles)
        // Each worker sums dW and dbias into its own buffers; they are added to the gradients in
        // worker order (reproducible for a given `context.workers`). Kernel 3 keeps dW split by
        // e as dW_e (3, Cout, Cin*9), the order of its GEMMs.
        let dWParts = UnsafeMutablePointer<Float>.allocate(capacity: workers * wCount)   // (workers, 3, Cout, Cin*9) for k3, else (workers, Cout, Cin)
        let dbParts = UnsafeMutablePointer<Float>.allocate(capacity: workers * cout)   // (workers, Cout)
        dWParts.initialize(repeating: 0, count: workers * wCount)
        dbParts.initialize(repeating: 0, count: workers * cout)
        defer { dWParts.deallocate(); dbParts.deallocate() }
        // dx of kernel 3 is the convolution of dy with Wf[ci, co, a, b, e] = W[co, ci, 2-a, 2-b, 2-e];
        // flipping (a, b, e) reverses the flat kernel index k = a*9 + b*3 + e.
        var flipped = [Float](repeating: 0, count: k3 ? wCount : 0)
        if k3 {
            for co in 0..<cout { for ci in 0..<cin { for k in 0..<27 {
                flipped[(ci * cout + co) * 27 + (26 - k)] = weight.value.data[(co * cin + ci) * 27 + k]
            } } }
        }
        let flippedSplit = k3 ? Conv3d.splitByShift(flipped, rows: cin, kRows: cout * 9) : []
        // One pass over the tiles for all three gradients; dx (if wanted) is written at `dxp`.
        func run(_ dxp: UnsafeMutablePointer<Float>?) {
            let dxs = dxp.map { SharedPointer($0) }
            x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dyp in
            weight.value.data.withUnsafeBufferPointer { wt in
            flippedSplit.withUnsafeBufferPointer { fs in
                let dWs = SharedPointer(dWParts), dbs = SharedPointer(dbParts)
                let xb = xp.baseAddress!, dyb = dyp.baseAddress!, wb = wt.baseAddress!
                NetThreads.parallelChunks(n * tiles, workers: workers) { worker, chunk in
                    let dW = dWs.p + worker * wCount, db = dbs.p + worker * cout
                    let maxLength = rowsPerTile * wp + 1
                    let colX = k3 ? UnsafeMutablePointer<Float>.allocate(capacity: cin * 9 * maxLength) : nil   // (Cin*9, R*(W+1)+1)
                    let colD = k3 ? UnsafeMutablePointer<Float>.allocate(capacity: cout * 9 * maxLength) : nil   // (Cout*9, R*(W+1)+1)
                    let z = k3 ? UnsafeMutablePointer<Float>.allocate(capacity: cin * maxLength) : nil   // (Cin, R*(W+1)-1) dx tile
                    defer { colX?.deallocate(); colD?.deallocate(); z?.deallocate() }
                    for item in chunk {
                        let b = item / tiles
                        let r0 = (item % tiles) * rowsPerTile, r1 = min(rows, r0 + rowsPerTile)
                        let cols = (r1 - r0) * w
                        let xTile = xb + b * cin * s + r0 * w, dyTile = dyb + b * cout * s + r0 * w
                        let dxTile = dxs.map { $0.p + b * cin * s + r0 * w }
                        // dbias += sum over the tile's voxels of dy.
                        for co in 0..<cout {
                            var acc: Float = 0
                            let row = dyTile + co * s
                            for i in 0..<cols { acc += row[i] }
                            db[co] += acc
                        }
                        guard let colX, let colD, let z else {
                            // Kernel 1. dW (Cout, Cin) += dy (Cout, T) * x^T (T, Cin)
                            sgemm(transB: true, m: cout, n: cin, k: cols, a: dyTile, lda: s,
                                  b: xTile, ldb: s, beta: 1, c: dW, ldc: cin)
                            // dx (Cin, T) = W^T (Cin, Cout) * dy (Cout, T)
                            if let dxTile {
                                sgemm(transA: true, m: cin, n: cols, k: cout, a: wb, lda: cin,
                                      b: dyTile, ldb: s, beta: 0, c: dxTile, ldc: s)
                            }
                            continue
                        }
                        let length = (r1 - r0) * wp + 1, nCols = length - 2
                        Conv3d.im2col(xb + b * cin * s, channels: cin, d: d, h: h, w: w, rows: r0..<r1, into: colX)
                        Conv3d.im2col(dyb + b * cout * s, channels: cout, d: d, h: h, w: w, rows: r0..<r1, into: colD)
                        // dW_e (Cout, Cin*9) += dyP (Cout, N) * colX[:, e ..< e+N]^T, with dyP the tile's
                        // dy in padded rows, 0 at the pads: that is the centre shift (a, b) = (1, 1)
                        // of colD, read from its second column, rows 9 apart.
                        for e in 0..<3 {
                            sgemm(transB: true, m: cout, n: cin * 9, k: nCols, a: colD + 4 * length + 1, lda: 9 * length,
                                  b: colX + e, ldb: length, beta: 1, c: dW + e * cout * cin * 9, ldc: cin * 9)
                        }
                        // dx tile = conv(dy, Wf): the forward's three GEMMs on colD.
                        if let dxTile {
                            Conv3d.multiplyShifts(fs.baseAddress!, rows: cin, kRows: cout * 9, col: colD, length: length, into: z)
                            Conv3d.storeRows(z, length: length, channels: cin, tileRows: r1 - r0, w: w, bias: nil, into: dxTile, stride: s)
                        }
                    }
                }
            } } } }
        }
        let dx: Tensor
        if computesInputGradient {
            dx = Tensor.uninitialized(x.shape) { run($0) }
        } else {
            run(nil)
            dx = Tensor(shape: [0])
        }
        weight.grad.data.withUnsafeMutableBufferPointer { g in
            for wk in 0..<workers {
                let part = dWParts + wk * wCount
                if k3 {
                    // dW_e[co, cab] is weight index (co, c, a, b, e) = co*Cin*27 + cab*3 + e.
                    let kRows = cin * 9
                    for e in 0..<3 { for co in 0..<cout { for cab in 0..<kRows {
                        g[co * kRows * 3 + cab * 3 + e] += part[(e * cout + co) * kRows + cab]
                    } } }
                } else {
                    for i in 0..<wCount { g[i] += part[i] }
                }
            }
        }
        bias.grad.data.withUnsafeMutableBufferPointer { g in
            for wk in 0..<workers { for i in 0..<cout { g[i] += dbParts[wk * cout + i] } }
        }
        return dx
    }

    /// How many (d, h) rows of W voxels one tile holds: as many as fit `tileColumns` (or the
    /// column-buffer budget), but few enough that every worker gets tiles.
    static func rowsPerTile(rows: Int, width: Int, items: Int, bytesPerColumn: Int, tileColumns: Int?, workers: Int) -> Int {
        if let tileColumns { return max(1, min(rows, tileColumns / width)) }
        var r = max(1, min(rows, columnBufferBytes / max(1, bytesPerColumn * width)))
        let workers = max(1, workers)
        if items * ((rows + r - 1) / r) < workers {
            let tilesPerItem = (workers + items - 1) / items
            r = max(1, (rows + tilesPerItem - 1) / tilesPerItem)
        }
        return r
    }

    /// y (N, Cout, D, H, W) = conv(x (N, Cin, D, H, W), weight (Cout, Cin, k, k, k)) + bias, tiled
    /// over rows and run on the workers. Every tile writes its own part of y, every value once.
    static func convolve(x: UnsafePointer<Float>, n: Int, cin: Int, d: Int, h: Int, w: Int, kernel: Int,
                         weight: UnsafePointer<Float>, cout: Int, bias: [Float]?, y: SharedPointer<Float>,
                         tileColumns: Int?, workers: Int) {
        let s = d * h * w, rows = d * h
        let k3 = kernel == 3
        let kRows = k3 ? cin * 9 : cin, wp = w + 1
        let rowsPerTile = rowsPerTile(rows: rows, width: w, items: n, bytesPerColumn: (kRows + cout) * 4, tileColumns: tileColumns,
                                      workers: workers)
        let tilesPerItem = (rows + rowsPerTile - 1) / rowsPerTile
        let split = k3 ? splitByShift(Array(UnsafeBufferPointer(start: weight, count: cout * kRows * 3)), rows: cout, kRows: kRows) : []
        split.withUnsafeBufferPointer { sp in
            NetThreads.parallelChunks(n * tilesPerItem, workers: workers) { _, chunk in
                let maxLength = rowsPerTile * wp + 1
                let col = k3 ? UnsafeMutablePointer<Float>.allocate(capacity: kRows * maxLength) : nil   // (Cin*9, R*(W+1)+1)
                let z = k3 ? UnsafeMutablePointer<Float>.allocate(capacity: cout * maxLength) : nil   // (Cout, R*(W+1)-1)
                defer { col?.deallocate(); z?.deallocate() }
                for item in chunk {
                    let b = item / tilesPerItem
                    let r0 = (item % tilesPerItem) * rowsPerTile, r1 = min(rows, r0 + rowsPerTile)
                    let yTile = y.p + b * cout * s + r0 * w
                    if let col, let z {
                        let length = (r1 - r0) * wp + 1
                        im2col(x + b * cin * s, channels: cin, d: d, h: h, w: w, rows: r0..<r1, into: col)
                        multiplyShifts(sp.baseAddress!, rows: cout, kRows: kRows, col: col, length: length, into: z)
                        storeRows(z, length: length, channels: cout, tileRows: r1 - r0, w: w, bias: bias, into: yTile, stride: s)
                    } else {
                        var beta: Float = 0
                        if let bias {
                            for co in 0..<cout { (yTile + co * s).update(repeating: bias[co], count: (r1 - r0) * w) }
                            beta = 1
                        }
                        // y (Cout, T) = W (Cout, Cin) * x (Cin, T)
                        sgemm(m: cout, n: (r1 - r0) * w, k: cin, a: weight, lda: cin, b: x + b * cin * s + r0 * w, ldb: s,
                              beta: beta, c: yTile, ldc: s)
                    }
                }
            }
        }
    }

    /// A kernel-3 weight (rows, kRows*3), flat index cab*3 + e per row, split by the w-shift e into
    /// W_e (rows, kRows): result[(e*rows + o)*kRows + cab] = weight[o*kRows*3 + cab*3 + e].
    static func splitByShift(_ weight: [Float], rows: Int, kRows: Int) -> [Float] {
        var split = [Float](repeating: 0, count: 3 * rows * kRows)
        for e in 0..<3 { for o in 0..<rows { for cab in 0..<kRows {
            split[(e * rows + o) * kRows + cab] = weight[o * kRows * 3 + cab * 3 + e]
        } } }
        return split
    }

    /// z (rows, N) = sum over e of W_e (rows, kRows) * colP[:, e ..< e+N], N = length - 2: the
    /// kernel-3 product on padded rows. z[:, j] is the output at padded column j + 1, so voxel i
    /// of tile row r is z[:, r*(W+1) + i], and it reads colP columns j, j+1, j+2 for e = 0, 1, 2.
    static func multiplyShifts(_ split: UnsafePointer<Float>, rows: Int, kRows: Int,
                               col: UnsafePointer<Float>, length: Int, into z: UnsafeMutablePointer<Float>) {
        for e in 0..<3 {
            sgemm(m: rows, n: length - 2, k: kRows, a: split + e * rows * kRows, lda: kRows,
                  b: col + e, ldb: length, beta: e == 0 ? 0 : 1, c: z, ldc: length - 2)
        }
    }

    /// Copies the voxels of z (channels, length - 2, padded rows) to `out` (channel stride
    /// `stride`, rows of W), adding the bias, and drops the column at each row's pad.
    static func storeRows(_ z: UnsafePointer<Float>, length: Int, channels: Int, tileRows: Int, w: Int,
                          bias: [Float]?, into out: UnsafeMutablePointer<Float>, stride: Int) {
        let nCols = length - 2
        for c in 0..<channels {
            let bc = bias?[c] ?? 0
            for r in 0..<tileRows {
                let src = z + c * nCols + r * (w + 1), dst = out + c * stride + r * w
                for i in 0..<w { dst[i] = src[i] + bc }
            }
        }
    }

    /// The column buffer of a 3x3x3 same-padded convolution for output rows `rows` (row r is the
    /// line (d, h) = (r / H, r % H)) of one item x (C, D, H, W), in padded rows of W + 1 columns:
    ///   colP[c*9 + a*3 + b, r'*(W+1) + 1 + i] = x[c, d+a-1, h+b-1, i]     (r' = r - rows.lowerBound)
    /// and 0 in column r'*(W+1) (the pad before each line, which is also the one after the
    /// previous line), in the last column (the pad after the last line), and on every line that
    /// falls outside the volume. The tap e = 0, 1, 2 of voxel i of row r' is column
    /// r'*(W+1) + i + e, so the three w-shifts need no copies of their own. Each row of colP has
    /// R*(W+1) + 1 columns; the row order (c, a, b) matches the weight's (Cout, Cin, 3, 3, 3)
    /// without its last axis.
    static func im2col(_ x: UnsafePointer<Float>, channels: Int, d: Int, h: Int, w: Int,
                       rows: Range<Int>, into col: UnsafeMutablePointer<Float>) {
        let wp = w + 1, length = rows.count * wp + 1
        for c in 0..<channels {
            let xc = x + c * d * h * w
            for a in 0..<3 { for b in 0..<3 {
                let line = col + (c * 9 + a * 3 + b) * length
                for r in rows {
                    let out = line + (r - rows.lowerBound) * wp
                    out[0] = 0
                    let sd = r / h + a - 1, sh = r % h + b - 1
                    if sd < 0 || sd >= d || sh < 0 || sh >= h {
                        (out + 1).update(repeating: 0, count: w)
                    } else {
                        (out + 1).update(from: xc + (sd * h + sh) * w, count: w)
                    }
                }
                line[length - 1] = 0
            } }
        }
    }
}
