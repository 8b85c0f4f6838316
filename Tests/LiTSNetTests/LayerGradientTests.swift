import LiTSCore
import XCTest
@testable import LiTSNet

/// Every layer checked in two ways against a plain-loop reference written here in Double:
///  (a) the Float forward against the Double reference forward;
///  (b) the analytic input and parameter gradients against central finite differences of the
///      Double reference on the scalar loss L = sum(forward(x) * R), R a fixed random tensor.
final class LayerGradientTests: XCTestCase {
    // MARK: - Harness

    /// Relative error of `a` against `b`: the largest element-wise |a - b| / max(|a|, |b|), with
    /// a floor of `floor` times b's largest magnitude so that near-zero entries don't divide by ~0
    /// (floor 1 gives the normwise error max|a - b| / max|b|).
    static func relativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-2) -> Double {
        precondition(a.count == b.count)
        let scale = max(b.map(abs).max() ?? 0, 1e-30)
        var worst = 0.0
        for i in a.indices {
            worst = max(worst, abs(a[i] - b[i]) / max(abs(a[i]), abs(b[i]), floor * scale))
        }
        return worst
    }

    /// Checks `forward` against `reference`, and each analytic gradient against finite differences
    /// of `L = sum(reference(inputs) * r)`. At most `samples` entries of each input are
    /// perturbed (chosen at random, all of them when fewer). Returns the errors by name.
    @discardableResult
    func checkLayer(_ name: String,
                    inputs: [(String, [Float])],
                    forward: [Float],
                    gradients: [[Float]],
                    r: [Double],
                    samples: Int = 40,
                    step: Double = 1e-4,
                    forwardTolerance: Double = 1e-5,
                    gradientTolerance: Double = 1e-3,
                    reference: ([[Double]]) -> [Double],
                    file: StaticString = #filePath, line: UInt = #line) -> [String: Double] {
        var rng = SeededGenerator(seed: 99)
        let base = inputs.map { $0.1.map(Double.init) }
        let ref = reference(base)
        XCTAssertEqual(ref.count, forward.count, "\(name): reference and layer output sizes differ", file: file, line: line)
        // Float32 rounding is relative to the output's scale, so the forward is compared normwise.
        let fErr = Self.relativeError(forward.map(Double.init), ref, floor: 1)
        XCTAssertLessThanOrEqual(fErr, forwardTolerance, "\(name): forward", file: file, line: line)
        var errors = ["forward": fErr]
        func loss(_ xs: [[Double]]) -> Double {
            let y = reference(xs)
            var s = 0.0
            for i in y.indices { s += y[i] * r[i] }
            return s
        }
        for (k, (label, values)) in inputs.enumerated() {
            var idx = Array(values.indices)
            if idx.count > samples { idx.shuffle(using: &rng); idx = Array(idx.prefix(samples)) }
            var analytic: [Double] = [], numeric: [Double] = []
            for i in idx {
                var plus = base, minus = base
                plus[k][i] += step
                minus[k][i] -= step
                numeric.append((loss(plus) - loss(minus)) / (2 * step))
                analytic.append(Double(gradients[k][i]))
            }
            let err = Self.relativeError(analytic, numeric)
            XCTAssertLessThanOrEqual(err, gradientTolerance, "\(name): gradient of \(label)", file: file, line: line)
            errors[label] = err
        }
        print("gradcheck \(name): " + errors.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.2e", $0.value))" }.joined(separator: " "))
        return errors
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    static func random(_ shape: [Int], seed: UInt64, bound: Float = 1) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor.uniform(shape, bound: bound, using: &rng)
    }

    static func randomDoubles(_ count: Int, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Double.random(in: -1...1, using: &rng) }
    }

    // MARK: - Double references (plain nested loops)

    /// y[n, co, z, y, x] = bias[co] + sum_{ci, a, b, c} x[n, ci, z+a-p, y+b-p, x+c-p] * W[co, ci, a, b, c]
    static func referenceConv3d(_ x: [Double], _ weight: [Double], _ bias: [Double],
                                n: Int, cin: Int, cout: Int, d: Int, h: Int, w: Int, k: Int) -> [Double] {
        let p = k / 2
        var y = [Double](repeating: 0, count: n * cout * d * h * w)
        for b in 0..<n { for co in 0..<cout { for z in 0..<d { for yy in 0..<h { for xx in 0..<w {
            var s = bias[co]
            for ci in 0..<cin { for a in 0..<k { for bb in 0..<k { for c in 0..<k {
                let sz = z + a - p, sy = yy + bb - p, sx = xx + c - p
                if sz < 0 || sz >= d || sy < 0 || sy >= h || sx < 0 || sx >= w { continue }
                s += x[(((b * cin + ci) * d + sz) * h + sy) * w + sx] * weight[(((co * cin + ci) * k + a) * k + bb) * k + c]
            } } } }
            y[(((b * cout + co) * d + z) * h + yy) * w + xx] = s
        } } } } }
        return y
    }

    /// y[n, co, 2z+a, 2y+b, 2x+c] = bias[co] + sum_ci x[n, ci, z, y, x] * W[ci, co, a, b, c]
    static func referenceConvTranspose3d(_ x: [Double], _ weight: [Double], _ bias: [Double],
                                         n: Int, cin: Int, cout: Int, d: Int, h: Int, w: Int) -> [Double] {
        let od = 2 * d, oh = 2 * h, ow = 2 * w
        var y = [Double](repeating: 0, count: n * cout * od * oh * ow)
        for b in 0..<n { for co in 0..<cout { for z in 0..<od { for yy in 0..<oh { for xx in 0..<ow {
            var s = bias[co]
            for ci in 0..<cin {
                s += x[(((b * cin + ci) * d + z / 2) * h + yy / 2) * w + xx / 2]
                    * weight[(((ci * cout + co) * 2 + z % 2) * 2 + yy % 2) * 2 + xx % 2]
            }
            y[(((b * cout + co) * od + z) * oh + yy) * ow + xx] = s
        } } } } }
        return y
    }

    static func referenceMaxPool(_ x: [Double], n: Int, c: Int, d: Int, h: Int, w: Int) -> [Double] {
        var y: [Double] = []
        for p in 0..<(n * c) { for z in 0..<(d / 2) { for yy in 0..<(h / 2) { for xx in 0..<(w / 2) {
            var m = -Double.infinity
            for a in 0..<2 { for b in 0..<2 { for e in 0..<2 {
                m = max(m, x[((p * d + 2 * z + a) * h + 2 * yy + b) * w + 2 * xx + e])
            } } }
            y.append(m)
        } } } }
        return y
    }

    // MARK: - Gradient checks

    func testConv3dKernel3Gradients() {
        let (n, cin, cout, d, h, w) = (2, 3, 4, 6, 5, 4)
        var rng = SeededGenerator(seed: 1)
        let conv = Conv3d(cin, cout, kernelSize: 3, using: &rng)
        let x = Self.random([n, cin, d, h, w], seed: 2)
        let y = conv.forward(x)
        XCTAssertEqual(y.shape, [n, cout, d, h, w])
        let r = Self.randomDoubles(y.count, seed: 3)
        let dx = conv.backward(Tensor(shape: y.shape, data: r.map(Float.init)))
        checkLayer("conv3d k3", inputs: [("x", x.data), ("weight", conv.weight.value.data), ("bias", conv.bias.value.data)],
                   forward: y.data, gradients: [dx.data, conv.weight.grad.data, conv.bias.grad.data], r: r) { v in
            Self.referenceConv3d(v[0], v[1], v[2], n: n, cin: cin, cout: cout, d: d, h: h, w: w, k: 3)
        }
        // Parameter gradients accumulate over backward calls (each after its own forward).
        let g1 = conv.weight.grad.data
        _ = conv.forward(x)
        _ = conv.backward(Tensor(shape: y.shape, data: r.map(Float.init)))
        for i in g1.indices { XCTAssertEqual(conv.weight.grad.data[i], 2 * g1[i], accuracy: 1e-5 * max(1, abs(g1[i]))) }
    }

    func testConv3dKernel1Gradients() {
        let (n, cin, cout, d, h, w) = (2, 3, 4, 6, 5, 4)
        var rng = SeededGenerator(seed: 4)
        let conv = Conv3d(cin, cout, kernelSize: 1, using: &rng)
        XCTAssertEqual(conv.weight.value.shape, [cout, cin, 1, 1, 1])
        let x = Self.random([n, cin, d, h, w], seed: 5)
        let y = conv.forward(x)
        let r = Self.randomDoubles(y.count, seed: 6)
        let dx = conv.backward(Tensor(shape: y.shape, data: r.map(Float.init)))
        checkLayer("conv3d k1", inputs: [("x", x.data), ("weight", conv.weight.value.data), ("bias", conv.bias.value.data)],
                   forward: y.data, gradients: [dx.data, conv.weight.grad.data, conv.bias.grad.data], r: r) { v in
            Self.referenceConv3d(v[0], v[1], v[2], n: n, cin: cin, cout: cout, d: d, h: h, w: w, k: 1)
        }
    }

    func testConvTranspose3dGradients() {
        let (n, cin, cout, d, h, w) = (2, 3, 4, 3, 2, 4)
        var rng = SeededGenerator(seed: 7)
        let up = ConvTranspose3d(cin, cout, using: &rng)
        XCTAssertEqual(up.weight.value.shape, [cin, cout, 2, 2, 2])
        let x = Self.random([n, cin, d, h, w], seed: 8)
        let y = up.forward(x)
        XCTAssertEqual(y.shape, [n, cout, 2 * d, 2 * h, 2 * w])
        let r = Self.randomDoubles(y.count, seed: 9)
        let dx = up.backward(Tensor(shape: y.shape, data: r.map(Float.init)))
        checkLayer("convtranspose3d", inputs: [("x", x.data), ("weight", up.weight.value.data), ("bias", up.bias.value.data)],
                   forward: y.data, gradients: [dx.data, up.weight.grad.data, up.bias.grad.data], r: r) { v in
            Self.referenceConvTranspose3d(v[0], v[1], v[2], n: n, cin: cin, cout: cout, d: d, h: h, w: w)
        }
    }

    func testMaxPool3dGradients() {
        let (n, c, d, h, w) = (2, 3, 6, 4, 4)
        let pool = MaxPool3d()
        let x = Self.random([n, c, d, h, w], seed: 10)
        let y = pool.forward(x)
        XCTAssertEqual(y.shape, [n, c, d / 2, h / 2, w / 2])
        let r = Self.randomDoubles(y.count, seed: 11)
        let dx = pool.backward(Tensor(shape: y.shape, data: r.map(Float.init)))
        checkLayer("maxpool3d", inputs: [("x", x.data)], forward: y.data, gradients: [dx.data], r: r,
                   samples: 80, step: 1e-6) { v in
            Self.referenceMaxPool(v[0], n: n, c: c, d: d, h: h, w: w)
        }
    }

    func testReLUGradients() {
        let shape = [2, 3, 4, 3, 2]
        let relu = ReLU()
        // Keep inputs away from the kink at 0, where the derivative is undefined.
        var x = Self.random(shape, seed: 12)
        for i in x.data.indices where abs(x.data[i]) < 0.01 { x.data[i] = 0.5 }
        let y = relu.forward(x)
        let r = Self.randomDoubles(y.count, seed: 13)
        let dx = relu.backward(Tensor(shape: shape, data: r.map(Float.init)))
        checkLayer("relu", inputs: [("x", x.data)], forward: y.data, gradients: [dx.data], r: r, samples: 200, step: 1e-6) { v in
            v[0].map { max($0, 0) }
        }
    }

    func testSigmoidGradients() {
        let shape = [2, 3, 4, 3, 2]
        let sigmoid = Sigmoid()
        let x = Self.random(shape, seed: 14, bound: 6)
        let y = sigmoid.forward(x)
        let r = Self.randomDoubles(y.count, seed: 15)
        let dx = sigmoid.backward(Tensor(shape: shape, data: r.map(Float.init)))
        checkLayer("sigmoid", inputs: [("x", x.data)], forward: y.data, gradients: [dx.data], r: r, samples: 200) { v in
            v[0].map { 1 / (1 + Foundation.exp(-$0)) }
        }
        // No overflow at the extremes.
        let ext = sigmoid.forward(Tensor(shape: [4], data: [-200, -20, 20, 200]))
        XCTAssertEqual(ext.data[0], 0)
        XCTAssertEqual(ext.data[1], Float(1 / (1 + Foundation.exp(20.0))), accuracy: 1e-12)
        XCTAssertEqual(ext.data[2], 1, accuracy: 1e-7)
        XCTAssertEqual(ext.data[3], 1)
    }

    func testConcatChannelsGradients() {
        let (n, ca, cb, d, h, w) = (2, 3, 2, 2, 3, 2)
        let a = Self.random([n, ca, d, h, w], seed: 16), b = Self.random([n, cb, d, h, w], seed: 17)
        let y = concatChannels(a, b)
        XCTAssertEqual(y.shape, [n, ca + cb, d, h, w])
        let r = Self.randomDoubles(y.count, seed: 18)
        let (da, db) = concatChannelsBackward(Tensor(shape: y.shape, data: r.map(Float.init)), channelsA: ca)
        XCTAssertEqual(da.shape, a.shape)
        XCTAssertEqual(db.shape, b.shape)
        let s = d * h * w
        checkLayer("concat", inputs: [("a", a.data), ("b", b.data)], forward: y.data, gradients: [da.data, db.data],
                   r: r, samples: 200) { v in
            var out: [Double] = []
            for i in 0..<n {
                out += v[0][(i * ca * s)..<((i + 1) * ca * s)]
                out += v[1][(i * cb * s)..<((i + 1) * cb * s)]
            }
            return out
        }
    }

    func testResidualAddGradients() {
        let shape = [2, 3, 2, 3, 2]
        let a = Self.random(shape, seed: 19), b = Self.random(shape, seed: 20)
        let y = residualAdd(a, b)
        let r = Self.randomDoubles(y.count, seed: 21)
        let (da, db) = residualAddBackward(Tensor(shape: shape, data: r.map(Float.init)))
        checkLayer("add", inputs: [("a", a.data), ("b", b.data)], forward: y.data, gradients: [da.data, db.data],
                   r: r, samples: 200) { v in
            zip(v[0], v[1]).map { $0 + $1 }
        }
    }

    // MARK: - Tiling and threads do not change the result

    /// Runs forward and backward untiled on one worker, then in tiles of one row and of five rows
    /// (tiles that cross depth slices, and a short last tile) on one and two workers.
    private func tiledVersusUntiled(_ layer: (NetContext) -> (forward: (Tensor) -> Tensor, backward: (Tensor) -> Tensor,
                                                             setTile: (Int?) -> Void, grads: () -> [[Float]]),
                                    input: Tensor, name: String) {
        var results: [(Tensor, Tensor, [[Float]])] = []
        for (tile, workers) in [(Int.max, 1), (1, 2), (45, 2), (45, 1)] {
            let l = layer(NetContext(workers: workers))
            l.setTile(tile)
            let y = l.forward(input)
            let dy = Tensor(shape: y.shape, data: Self.randomDoubles(y.count, seed: 30).map(Float.init))
            let dx = l.backward(dy)
            results.append((y, dx, l.grads()))
        }
        for (y, dx, grads) in results.dropFirst() {
            XCTAssertEqual(y.shape, results[0].0.shape)
            XCTAssertEqual(dx.shape, results[0].1.shape)
            // Not bit-for-bit: OpenBLAS rounds a column of C differently depending on the number
            // of columns in the call (its edge kernels sum in another order), so a value may
            // move by an ulp. A tiling bug (a row lost, doubled or shifted) shows up as O(1).
            XCTAssertLessThanOrEqual(Self.maxDifference(y.data, results[0].0.data), 1e-6, "\(name): tiled forward differs from untiled")
            XCTAssertLessThanOrEqual(Self.maxDifference(dx.data, results[0].1.data), 1e-6, "\(name): tiled input gradient differs from untiled")
            // Parameter gradients are sums over tiles, in another order.
            for (g, g0) in zip(grads, results[0].2) {
                XCTAssertLessThanOrEqual(Self.relativeError(g.map(Double.init), g0.map(Double.init), floor: 1), 1e-5, "\(name): parameter gradient")
            }
        }
    }

    func testTilingGivesTheUntiledResult() {
        let x = Self.random([2, 5, 6, 7, 9], seed: 31)
        for k in [3, 1] {
            tiledVersusUntiled({ context in
                var rng = SeededGenerator(seed: 32)
                let conv = Conv3d(5, 6, kernelSize: k, context: context, using: &rng)
                return (conv.forward, conv.backward, { conv.tileColumns = $0 }, { [conv.weight.grad.data, conv.bias.grad.data] })
            }, input: x, name: "conv3d k\(k)")
        }
        tiledVersusUntiled({ context in
            var rng = SeededGenerator(seed: 33)
            let up = ConvTranspose3d(5, 3, context: context, using: &rng)
            return (up.forward, up.backward, { up.tileColumns = $0 }, { [up.weight.grad.data, up.bias.grad.data] })
        }, input: x, name: "convtranspose3d")
    }

    /// The AVX-512 direct convolution against im2col + OpenBLAS on shapes that stress its edges:
    /// widths that are not a multiple of 16, rows shorter than a vector, output channels that are
    /// not a multiple of 4, one input channel, planes of one row, planes split into bands.
    func testDirectConvolutionMatchesIm2col() throws {
        try XCTSkipUnless(DirectConv3d.cpuHasAVX512, "this CPU has no AVX-512: Conv3d uses im2col + OpenBLAS only")
        try directConvolutionMatchesIm2col(.direct)
    }

    /// The AVX2 + FMA direct convolution against im2col + OpenBLAS on the same shapes (widths and
    /// band lengths that are not multiples of its 8-float vectors or 24-position chunks).
    func testAVX2DirectConvolutionMatchesIm2col() throws {
        try XCTSkipUnless(DirectKernels.cpuHasAVX2FMA, "this CPU has no AVX2 and FMA")
        try directConvolutionMatchesIm2col(.directAVX2)
    }

    /// Output, input gradient, weight gradient and bias gradient of `path` against im2col's.
    func directConvolutionMatchesIm2col(_ path: ConvolutionPath) throws {
        XCTAssertEqual(NetContext(convolution: path).convolution, path)
        let shapes: [(n: Int, cin: Int, cout: Int, d: Int, h: Int, w: Int)] = [
            (2, 3, 5, 3, 5, 7), (1, 1, 4, 4, 6, 20), (2, 8, 9, 2, 3, 33), (1, 16, 16, 3, 12, 12), (1, 2, 3, 1, 1, 5),
            (2, 2, 5, 2, 70, 70),  // planes of two bands (DirectConv3d.bandPositions)
            (1, 5, 7, 2, 45, 100), // two bands of unequal rows, rows of 102 padded positions
        ]
        for (i, s) in shapes.enumerated() {
            let x = Self.random([s.n, s.cin, s.d, s.h, s.w], seed: UInt64(50 + i))
            let dy = Self.random([s.n, s.cout, s.d, s.h, s.w], seed: UInt64(60 + i))
            var results: [(Tensor, Tensor, [Float], [Float])] = []
            for candidate in [path, .im2col] {
                var rng = SeededGenerator(seed: UInt64(70 + i))
                let conv = Conv3d(s.cin, s.cout, context: NetContext(convolution: candidate), using: &rng)
                let y = conv.forward(x), dx = conv.backward(dy)
                results.append((y, dx, conv.weight.grad.data, conv.bias.grad.data))
            }
            let name = "\(path.rawValue) shape \(s)"
            let (a, b) = (results[0], results[1])
            XCTAssertEqual(a.0.shape, b.0.shape, name)
            XCTAssertLessThanOrEqual(Self.relativeError(a.0.data.map(Double.init), b.0.data.map(Double.init), floor: 1), 1e-5, "\(name): output")
            XCTAssertLessThanOrEqual(Self.relativeError(a.1.data.map(Double.init), b.1.data.map(Double.init), floor: 1), 1e-5, "\(name): input gradient")
            XCTAssertLessThanOrEqual(Self.relativeError(a.2.map(Double.init), b.2.map(Double.init), floor: 1), 1e-5, "\(name): weight gradient")
            XCTAssertLessThanOrEqual(Self.relativeError(a.3.map(Double.init), b.3.map(Double.init), floor: 1), 1e-5, "\(name): bias gradient")
            XCTAssertGreaterThan(a.2.map(abs).max()!, 0.1, "\(name): the weight gradient is not trivially zero")
        }
    }

    // MARK: - Details

    func testConvInitialisationBounds() {
        var rng = SeededGenerator(seed: 40)
        let conv = Conv3d(4, 8, using: &rng)
        let bound = 1 / Float(4 * 27).squareRoot()
        XCTAssertEqual(conv.namedParameters.map(\.0), ["weight", "bias"])
        XCTAssertEqual(conv.weight.value.shape, [8, 4, 3, 3, 3])
        XCTAssertTrue(conv.weight.value.data.allSatisfy { abs($0) <= bound })
        XCTAssertTrue(conv.bias.value.data.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(conv.weight.value.data.map(abs).max()!, 0.9 * bound)
        var rng2 = SeededGenerator(seed: 40)
        XCTAssertEqual(Conv3d(4, 8, using: &rng2).weight.value, conv.weight.value, "same seed, same weights")
    }

    func testConvWithoutInputGradientKeepsParameterGradients() {
        let x = Self.random([1, 1, 4, 5, 6], seed: 41)
        var rng = SeededGenerator(seed: 42), rng2 = SeededGenerator(seed: 42)
        let a = Conv3d(1, 3, using: &rng), b = Conv3d(1, 3, using: &rng2)
        b.computesInputGradient = false
        let dy = Self.random([1, 3, 4, 5, 6], seed: 43)
        _ = a.forward(x); _ = b.forward(x)
        XCTAssertEqual(a.backward(dy).shape, x.shape)
        XCTAssertEqual(b.backward(dy).count, 0)
        XCTAssertEqual(a.weight.grad, b.weight.grad)
        XCTAssertEqual(a.bias.grad, b.bias.grad)
    }

    func testMaxPoolPicksTheFirstMaximumAndRoutesGradient() {
        let pool = MaxPool3d()
        var x = Tensor(shape: [1, 1, 2, 2, 2], repeating: 1)
        x.data[5] = 3
        let y = pool.forward(x)
        XCTAssertEqual(y.data, [3])
        XCTAssertEqual(pool.backward(Tensor(shape: [1, 1, 1, 1, 1], data: [2])).data, [0, 0, 0, 0, 0, 2, 0, 0])
        let flat = pool.forward(Tensor(shape: [1, 1, 2, 2, 2], repeating: 1))
        XCTAssertEqual(flat.data, [1])
        XCTAssertEqual(pool.backward(Tensor(shape: [1, 1, 1, 1, 1], data: [1])).data, [1, 0, 0, 0, 0, 0, 0, 0])
        // A NaN propagates, as in PyTorch (for ReLU too).
        XCTAssertTrue(pool.forward(Tensor(shape: [1, 1, 2, 2, 2], data: [1, 2, .nan, 3, 0, 0, 0, 0])).data[0].isNaN)
        XCTAssertTrue(ReLU().forward(Tensor(shape: [2], data: [.nan, -1])).data[0].isNaN)
    }
}
