import XCTest
@testable import LiTSNet
import CInt8Kernels

/// The int8 direct convolution (DirectConv3dInt8: u8 activations x s8 weights, exact int32 sums)
/// against the fp32 one (DirectConv3d).
///
/// The bound, element by element, from the quantization steps. Each input channel c is rounded
/// to a grid of step s_c that covers [min(x_c, 0), max(x_c, 0)] (no clipping), so the kernel's
/// x̃ = x8 - zp_c is x / s_c + e with |e| <= 1/2, and 0 (the padding) is on the grid exactly. The
/// weights v[o, c, k] = w[o, c, k] * s_c are rounded per output channel to a grid of step
/// t_o = max |v[o]| / 127, |v̂ - v| <= t_o / 2, and y = sum v̂ x̃ against the exact sum v x / s_c:
///   |int8 - fp32| <= 1/2 * sum |v̂[o, c, k]| + t_o / 2 * sum over channels and taps of |x| / s_c,
/// where sum |v̂| <= sum |v| + 27 * Cin * t_o / 2. The int32 sums are exact; the fp32
/// dequantization and the fp32 reference add relative errors near 2^-24 (a 1% margin and 1e-5 of
/// the sum of magnitudes cover them). The test also checks that int8 does round (its worst error
/// is a visible part of the bound), so it cannot silently be the fp32 path.
final class Int8ConvolutionTests: XCTestCase {
    /// Per element of conv(x, weight * scale): the bound above.
    static func bound(x: Tensor, weight: Tensor, scale: [Float]?, workers: Int) -> [Float] {
        let (n, cin, _, _, _) = x.ncdhw
        let cout = weight.shape[0]
        let xq = DirectConv3dInt8.ActivationQuantization.perChannel(x)
        // sum over channels and taps of |x| / s_c: the fp32 convolution of |x| with a weight of
        // 1 / s_c, one output channel.
        let volume = x.count / (n * cin)
        let absX = Tensor(shape: x.shape, data: x.data.map(abs))
        let inverse = Tensor(shape: [1, cin, 3, 3, 3], data: (0..<(cin * 27)).map { 1 / xq[$0 / 27].step })
        let sumX = KernelConvolution.forward(absX, weight: inverse, bias: [0], precision: .fp32, workers: workers).data
        var wTerm = [Float](), xTerm = [Float]()
        for o in 0..<cout {
            let v = (0..<(cin * 27)).map { abs(weight.data[o * cin * 27 + $0] * (scale?[o] ?? 1) * xq[$0 / 27].step) }
            let step = (v.max() ?? 0) / 127
            wTerm.append(0.5 * (v.reduce(0, +) + Float(27 * cin) * step / 2))
            xTerm.append(step / 2)
        }
        var out = [Float](repeating: 0, count: n * cout * volume)
        for b in 0..<n { for o in 0..<cout { for i in 0..<volume {
            out[(b * cout + o) * volume + i] = 1.01 * (wTerm[o] + xTerm[o] * sumX[b * volume + i])
        } } }
        return out
    }

    /// The worst |int8 - fp32| / bound, and the worst |int8 - fp32| / (sum of magnitudes).
    static func check(_ y8: Tensor, _ y32: Tensor, bound: [Float], magnitude: Tensor) -> (ratio: Double, relative: Double) {
        var ratio = 0.0, relative = 0.0
        for i in y8.data.indices {
            let e = abs(Double(y8.data[i]) - Double(y32.data[i]))
            let m = Double(magnitude.data[i])
            ratio = max(ratio, e / (Double(bound[i]) + 1e-5 * m + 1e-30))
            relative = max(relative, e / (m + 1e-30))
        }
        return (ratio, relative)
    }

    func testQuantizesWithTheZeroPoint() throws {
        try XCTSkipUnless(DirectConv3dInt8.cpuHasAVX512VNNI, "this CPU has no AVX512_VNNI")
        // The range always holds 0: ReLU outputs get zero point 0, negative-only inputs 255.
        typealias Q = DirectConv3dInt8.ActivationQuantization
        let relu = Q(lo: 0.5, hi: 2.55)
        XCTAssertEqual(relu.zeroPoint, 0); XCTAssertEqual(relu.step, 0.01, accuracy: 1e-7)
        XCTAssertEqual(Q(lo: -5.1, hi: -1).zeroPoint, 255)
        XCTAssertEqual(Q(lo: -1, hi: 3).zeroPoint, 64)   // 1 / (4 / 255) = 63.75
        XCTAssertEqual(Q(lo: 0, hi: 0).step, 1, "a zero channel")
        // Per channel, over the batch: channel 0 spans -1 ... 3 across two items, channel 1 0 ... 0.51.
        let x = Tensor(shape: [2, 2, 1, 1, 17], data: [Float](repeating: 1, count: 16) + [-1] + [Float](repeating: 0.51, count: 17)
                       + [3] + [Float](repeating: 0, count: 16) + [Float](repeating: 0.2, count: 17))
        XCTAssertEqual(Q.perChannel(x), [Q(lo: -1, hi: 3), Q(lo: 0, hi: 0.51)])
        // Bytes: round half to even, clamped, each channel its own step and zero point; a missing
        // channel is its zero point. 17 positions: a masked tail.
        let c0: [Float] = [-5, 1.25, 200, 0.75] + [Float](repeating: 0, count: 13)
        let c2 = [Float](repeating: -100, count: 17)
        var out = [UInt32](repeating: 0, count: 17)
        c0.withUnsafeBufferPointer { a in c2.withUnsafeBufferPointer { c in
            let channels: [UnsafePointer<Float>?] = [a.baseAddress!, nil, c.baseAddress!, nil]
            lits_int8_pack_quads(channels, 17, [0.5, 1, 0.25, 1], [10, 7, 200, 0], &out)
        } }
        func bytes(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        XCTAssertEqual(bytes(out[0]), [0, 7, 0, 0])       // -5 / 0.5 + 10 = 0; -100 / 0.25 + 200 clamps to 0
        XCTAssertEqual(bytes(out[1]), [12, 7, 0, 0])      // 2.5 rounds to 2
        XCTAssertEqual(bytes(out[2]), [255, 7, 0, 0])     // 410 clamps to 255
        XCTAssertEqual(bytes(out[3]), [12, 7, 0, 0])      // 1.5 rounds to 2
        XCTAssertEqual(bytes(out[16]), [10, 7, 0, 0])
        // Per-channel weights: each output channel's largest |w| becomes 127.
        let w: [Float] = [0.5, -1, 0.25] + [Float](repeating: 0, count: 24) + [2, 0] + [Float](repeating: 0.001, count: 25)
        let p = DirectConv3dInt8.packForward({ o, _, k in w[o * 27 + k] }, outChannels: 2, inChannels: 1, zeroPoints: [3])
        XCTAssertEqual(p.step[0], 1.0 / 127, accuracy: 1e-9); XCTAssertEqual(p.step[1], 2.0 / 127, accuracy: 1e-9)
        XCTAssertEqual(p.sum[0], 3 * (64 - 127 + 32))   // 63.5 rounds to 64, 31.75 to 32; times the zero point
        XCTAssertEqual(p.sum[1], 3 * 127)               // 0.001 / (2 / 127) rounds to 0
    }

    /// Shapes that stress the kernel's edges: channel counts not multiples of 4 (zero channels
    /// in a quad), output channels not a multiple of 4, widths not a multiple of 16, one-row
    /// planes, planes split into bands, several items; inputs all positive (zero point 0),
    /// mixed and all negative (zero point 255: a wrong padding byte would show at every border voxel).
    func testMatchesFP32WithinTheQuantizationBound() throws {
        try XCTSkipUnless(KernelConvolution.isSupported(.int8), "this CPU has no AVX512_VNNI")
        let shapes: [(n: Int, cin: Int, cout: Int, d: Int, h: Int, w: Int)] = [
            (2, 3, 5, 3, 5, 7), (1, 1, 4, 4, 6, 20), (2, 6, 9, 2, 3, 33), (1, 16, 16, 3, 12, 12), (1, 2, 3, 1, 1, 5),
            (2, 5, 5, 2, 70, 70), (1, 32, 32, 2, 9, 40),
        ]
        for (i, s) in shapes.enumerated() {
            for (sign, offset) in [("mixed", Float(0)), ("positive", 1), ("negative", -1), ("channel ranges 0.01, 1, 30", 2)] {
                let name = "shape \(s) \(sign)"
                let r = LayerGradientTests.random([s.n, s.cin, s.d, s.h, s.w], seed: UInt64(250 + i))
                let volume = s.d * s.h * s.w
                let x = Tensor(shape: r.shape, data: r.data.enumerated().map { j, v in
                    offset == 2 ? v * [Float(0.01), 1, 30][(j / volume) % s.cin % 3] : offset == 0 ? v : offset * (1.5 + v)
                })
                let weight = LayerGradientTests.random([s.cout, s.cin, 3, 3, 3], seed: UInt64(270 + i), bound: 0.3)
                let bias = LayerGradientTests.random([s.cout], seed: UInt64(280 + i)).data
                let workers = i % 2 + 1
                let y32 = KernelConvolution.forward(x, weight: weight, bias: bias, precision: .fp32, workers: workers)
                let y8 = KernelConvolution.forward(x, weight: weight, bias: bias, precision: .int8, workers: workers)
                XCTAssertEqual(y8.shape, y32.shape, name)
                let magnitude = KernelConvolution.forward(Tensor(shape: x.shape, data: x.data.map(abs)),
                                                          weight: Tensor(shape: weight.shape, data: weight.data.map(abs)),
                                                          bias: bias.map(abs), precision: .fp32, workers: workers)
                let result = Self.check(y8, y32, bound: Self.bound(x: x, weight: weight, scale: nil, workers: workers), magnitude: magnitude)
                XCTAssertLessThanOrEqual(result.ratio, 1, "\(name): outside the int8 bound")
                XCTAssertGreaterThan(result.ratio, 0.02, "\(name): int8 does not round visibly (is it the fp32 path?)")
                // Channels of very different ranges leave the small ones fewer weight levels (v = w * s_c).
                XCTAssertLessThan(result.relative, offset == 2 ? 0.05 : 0.02, "\(name): int8 error against the sum of magnitudes")
                print("int8 vs fp32, \(name): worst error / bound \(result.ratio), / sum of magnitudes \(result.relative)")
            }
        }
    }

    /// The eval-mode path Conv3d.forwardFolding takes: per-channel scales folded into the weights
    /// before quantizing, the shift as bias, and ReLU.
    func testFoldedScaleAndReLU() throws {
        try XCTSkipUnless(KernelConvolution.isSupported(.int8), "this CPU has no AVX512_VNNI")
        let x = LayerGradientTests.random([1, 7, 4, 10, 19], seed: 301)
        let weight = LayerGradientTests.random([6, 7, 3, 3, 3], seed: 302, bound: 0.3)
        let shift = LayerGradientTests.random([6], seed: 303).data
        let scale: [Float] = [0.1, 3, 1, 0.5, 20, 0.01]   // channels of very different ranges
        let y32 = DirectConv3d.forward(x, weight: weight, bias: shift, outChannels: 6, scale: scale, relu: true,
                                       kernels: DirectKernels.best!, workers: 2)
        let y8 = DirectConv3dInt8.forward(x, weight: weight, bias: shift, outChannels: 6, scale: scale, relu: true, workers: 2)
        XCTAssertEqual(y8.data.min(), 0, "ReLU")
        let bound = Self.bound(x: x, weight: weight, scale: scale, workers: 2)
        let scaledAbs = Tensor(shape: weight.shape, data: weight.data.enumerated().map { abs($1 * scale[$0 / (7 * 27)]) })
        let magnitude = DirectConv3d.forward(Tensor(shape: x.shape, data: x.data.map(abs)), weight: scaledAbs, bias: shift.map(abs),
                                             outChannels: 6, kernels: DirectKernels.best!, workers: 2)
        // ReLU only shrinks differences: max(a, 0) - max(b, 0) is at most |a - b|.
        let result = Self.check(y8, y32, bound: bound, magnitude: magnitude)
        XCTAssertLessThanOrEqual(result.ratio, 1, "outside the int8 bound")
        XCTAssertGreaterThan(result.ratio, 0.02, "int8 does not round visibly")
    }

    /// int8 is kept only where it runs (direct path, AVX512_VNNI), and never trains.
    func testFallsBackAndDoesNotTrain() {
        XCTAssertEqual(NetContext(convolution: .im2col, precision: .int8).precision, .fp32)
        let context = NetContext(precision: .int8)
        XCTAssertEqual(context.precision, KernelConvolution.isSupported(.int8) && context.convolution != .im2col ? .int8 : .fp32)
        XCTAssertFalse(ConvolutionPrecision.int8.trains)
        XCTAssertTrue(ConvolutionPrecision.fp32.trains && ConvolutionPrecision.bf16.trains)
    }
}
