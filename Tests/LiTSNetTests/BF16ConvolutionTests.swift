import XCTest
@testable import LiTSNet

/// The bf16 direct convolution (DirectConv3dBF16) against the fp32 one (DirectConv3d).
///
/// The bound, element by element: bf16 keeps 8 significant bits, so rounding to nearest gives
/// x̂ = x(1 + δ) with |δ| <= u = 2^-8. A product of two rounded values is off by at most
/// (2u + u²)|x w|, and fp32 sums of K terms (both paths, vdpbf16ps rounding after each of its two
/// adds) add at most 2 * 2K * 2^-24 of the sum of magnitudes. So for every output element
///   |bf16 - fp32| <= (2u + u² + 4K * 2^-24) * sum |x| |w|,
/// where the sum of magnitudes is the fp32 convolution of |x| with |w| (and likewise for the
/// gradients: |dy| with |W| for dx, |dy| with |x| for dW). The tests also check that the bf16
/// path does round, so it cannot silently be the fp32 path: random rounding errors of K terms
/// add up to about u * sqrt(K) times a term, against K terms of magnitude, so the largest error
/// relative to the magnitude must exceed u / (8 sqrt K) (fp32 alone stays near 2^-24 of it).
final class BF16ConvolutionTests: XCTestCase {
    static let u = 1.0 / 256

    static func bound(terms k: Int) -> Double { 2 * u + u * u + 4 * Double(k) / 16_777_216 }

    static func visibleRounding(terms k: Int) -> Double { u / (8 * Double(k).squareRoot()) }

    /// The largest |a - b| / (bound * magnitude) over the elements, and the largest |a - b| / magnitude.
    static func worst(_ a: [Float], _ b: [Float], magnitude: [Float], terms: Int) -> (ratio: Double, relative: Double) {
        var ratio = 0.0, relative = 0.0
        let limit = bound(terms: terms)
        for i in a.indices {
            let m = Double(magnitude[i]) + 1e-30, e = abs(Double(a[i]) - Double(b[i]))
            ratio = max(ratio, e / (limit * m))
            relative = max(relative, e / m)
        }
        return (ratio, relative)
    }

    static func absolute(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, data: t.data.map(abs)) }

    func testRoundsToNearestEven() throws {
        try XCTSkipUnless(DirectConv3dBF16.cpuHasAVX512BF16, "this CPU has no AVX512_BF16")
        let values: [Float] = [1, -2.5, 1 + 1.0 / 256, 1 + 3.0 / 256, 1 + 1.0 / 256 + 1.0 / 65536, 0, 3.0e38,
                               Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000)]
        // 1 + 2^-8 is a tie (to even: 1); 1 + 3 * 2^-8 a tie (to even: 1 + 2^-6); just above a tie
        // rounds up; 0x3F808000 and 0x3F818000 are ties going down and up.
        XCTAssertEqual(DirectConv3dBF16.bf16(values), [0x3F80, 0xC020, 0x3F80, 0x3F82, 0x3F81, 0, 0x7F62, 0x3F80, 0x3F82])
        // A tail shorter than a vector (17 values: 16 + 1).
        XCTAssertEqual(DirectConv3dBF16.bf16([Float](repeating: 2, count: 17)), [UInt16](repeating: 0x4000, count: 17))
    }

    /// Forward, input gradient and weight gradient on shapes that stress the kernels' edges: odd
    /// channel counts (a zero channel in a pair), output channels not a multiple of 4, widths not
    /// a multiple of 16 or 32, one-row planes, planes split into bands, several items.
    func testMatchesFP32WithinTheBF16Bound() throws {
        try XCTSkipUnless(DirectConv3dBF16.cpuHasAVX512BF16, "this CPU has no AVX512_BF16")
        let shapes: [(n: Int, cin: Int, cout: Int, d: Int, h: Int, w: Int)] = [
            (2, 3, 5, 3, 5, 7), (1, 1, 4, 4, 6, 20), (2, 8, 9, 2, 3, 33), (1, 16, 16, 3, 12, 12), (1, 2, 3, 1, 1, 5),
            (2, 2, 5, 2, 70, 70), (1, 32, 32, 2, 9, 40),
        ]
        for (i, s) in shapes.enumerated() {
            let name = "shape \(s)"
            let x = LayerGradientTests.random([s.n, s.cin, s.d, s.h, s.w], seed: UInt64(150 + i))
            let dy = LayerGradientTests.random([s.n, s.cout, s.d, s.h, s.w], seed: UInt64(160 + i))
            let weight = LayerGradientTests.random([s.cout, s.cin, 3, 3, 3], seed: UInt64(170 + i), bound: 0.3)
            let bias = LayerGradientTests.random([s.cout], seed: UInt64(180 + i)).data
            let volume = s.d * s.h * s.w
            for workers in [1, 2] {
                let y32 = KernelConvolution.forward(x, weight: weight, bias: bias, precision: .fp32, workers: workers)
                let y16 = KernelConvolution.forward(x, weight: weight, bias: bias, precision: .bf16, workers: workers)
                let g32 = KernelConvolution.backward(x: x, dy: dy, weight: weight, inputGradient: true, precision: .fp32, workers: workers)
                let g16 = KernelConvolution.backward(x: x, dy: dy, weight: weight, inputGradient: true, precision: .bf16, workers: workers)
                // The magnitudes: the same convolutions of absolute values, in fp32.
                let ax = Self.absolute(x), ady = Self.absolute(dy), aw = Self.absolute(weight)
                let yMag = KernelConvolution.forward(ax, weight: aw, bias: bias.map(abs), precision: .fp32, workers: workers)
                let dxMag = KernelConvolution.backward(x: ax, dy: ady, weight: aw, inputGradient: true, precision: .fp32, workers: workers)
                let dwMag = KernelConvolution.backward(x: ax, dy: ady, weight: aw, inputGradient: false, precision: .fp32, workers: workers)

                XCTAssertEqual(y16.shape, y32.shape, name)
                let fwd = Self.worst(y16.data, y32.data, magnitude: yMag.data, terms: s.cin * 27 + 1)
                let dx = Self.worst(g16.dx!.data, g32.dx!.data, magnitude: dxMag.dx!.data, terms: s.cout * 27)
                let dw = Self.worst(g16.weight, g32.weight, magnitude: dwMag.weight, terms: s.n * volume)
                XCTAssertLessThanOrEqual(fwd.ratio, 1, "\(name) workers \(workers): forward outside the bf16 bound")
                XCTAssertLessThanOrEqual(dx.ratio, 1, "\(name) workers \(workers): input gradient outside the bf16 bound")
                XCTAssertLessThanOrEqual(dw.ratio, 1, "\(name) workers \(workers): weight gradient outside the bf16 bound")
                for (what, r, k) in [("forward", fwd, s.cin * 27), ("input gradient", dx, s.cout * 27), ("weight gradient", dw, s.n * volume)] {
                    XCTAssertGreaterThan(r.relative, Self.visibleRounding(terms: k), "\(name): the bf16 \(what) shows no bf16 rounding")
                }
                // dbias is summed from the fp32 dy in both paths, the same way.
                XCTAssertEqual(g16.bias, g32.bias, "\(name): bias gradient")
                XCTAssertNil(KernelConvolution.backward(x: x, dy: dy, weight: weight, inputGradient: false,
                                                        precision: .bf16, workers: workers).dx)
            }
        }
    }

    /// The same inputs give the same bf16 results whatever the worker count (each band's sums
    /// are one worker's; only dW's parts are added in worker order, exact here for 1 worker
    /// against itself, so compare 2 workers run twice).
    func testDeterministic() throws {
        try XCTSkipUnless(DirectConv3dBF16.cpuHasAVX512BF16, "this CPU has no AVX512_BF16")
        let x = LayerGradientTests.random([1, 6, 3, 40, 40], seed: 190)
        let dy = LayerGradientTests.random([1, 8, 3, 40, 40], seed: 191)
        let weight = LayerGradientTests.random([8, 6, 3, 3, 3], seed: 192, bound: 0.3)
        let a = KernelConvolution.backward(x: x, dy: dy, weight: weight, inputGradient: true, precision: .bf16, workers: 2)
        let b = KernelConvolution.backward(x: x, dy: dy, weight: weight, inputGradient: true, precision: .bf16, workers: 2)
        XCTAssertEqual(a.dx, b.dx)
        XCTAssertEqual(a.weight, b.weight)
        let y1 = KernelConvolution.forward(x, weight: weight, bias: [Float](repeating: 0.5, count: 8), precision: .bf16, workers: 1)
        let y2 = KernelConvolution.forward(x, weight: weight, bias: [Float](repeating: 0.5, count: 8), precision: .bf16, workers: 2)
        XCTAssertEqual(y1, y2, "forward: each output element is one band's sum, whatever the workers")
    }
}
