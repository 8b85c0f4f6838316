import XCTest
@testable import LiTSNet
import CInt8Kernels
import CInt8KernelsAVXVNNI

/// The AVX-VNNI int8 kernels (CInt8KernelsAVXVNNI: 8 lanes, VEX vpdpbusd, for CPUs without
/// AVX-512) against the AVX-512 VNNI ones: the same quantization and exact int32 sums, so the
/// outputs must be bit-identical, not merely close. And the rule that picks a set from the CPU's flags.
final class Int8AVXVNNITests: XCTestCase {
    typealias Kernels = DirectConv3dInt8.Kernels

    /// Both sets run here (both run on AMD Zen 5 and Intel Sapphire Rapids and later).
    private func skipUnlessBoth() throws {
        try XCTSkipUnless(Kernels.avxvnni.isSupported, "this CPU has no AVX-VNNI")
        try XCTSkipUnless(Kernels.avx512vnni.isSupported, "this CPU has no AVX512_VNNI to compare with")
    }

    /// The odd shapes of Int8ConvolutionTests: channels not multiples of 4, outputs not a multiple
    /// of 4, widths not a multiple of 8 or 16, one-row planes, bands, several items; inputs mixed,
    /// all positive (zero point 0), all negative (zero point 255: every border shows a wrong padding
    /// byte), channels of very different ranges; plain and with folded scales and ReLU.
    func testBitIdenticalToAVX512VNNI() throws {
        try skipUnlessBoth()
        let shapes: [(n: Int, cin: Int, cout: Int, d: Int, h: Int, w: Int)] = [
            (2, 3, 5, 3, 5, 7), (1, 1, 4, 4, 6, 20), (2, 6, 9, 2, 3, 33), (1, 16, 16, 3, 12, 12), (1, 2, 3, 1, 1, 5),
            (2, 5, 5, 2, 70, 70), (1, 32, 32, 2, 9, 40),
        ]
        var compared = 0
        for (i, s) in shapes.enumerated() {
            for (sign, offset) in [("mixed", Float(0)), ("positive", 1), ("negative", -1), ("channel ranges", 2)] {
                let name = "shape \(s) \(sign)"
                let r = LayerGradientTests.random([s.n, s.cin, s.d, s.h, s.w], seed: UInt64(350 + i))
                let volume = s.d * s.h * s.w
                let x = Tensor(shape: r.shape, data: r.data.enumerated().map { j, v in
                    offset == 2 ? v * [Float(0.01), 1, 30][(j / volume) % s.cin % 3] : offset == 0 ? v : offset * (1.5 + v)
                })
                let weight = LayerGradientTests.random([s.cout, s.cin, 3, 3, 3], seed: UInt64(370 + i), bound: 0.3)
                let bias = LayerGradientTests.random([s.cout], seed: UInt64(380 + i)).data
                let scale: [Float]? = i % 2 == 0 ? nil : (0..<s.cout).map { 0.5 + Float($0 % 3) }
                let relu = i % 3 == 1, workers = i % 2 + 1
                let y = Kernels.allCases.map { k in
                    DirectConv3dInt8.forward(x, weight: weight, bias: bias, outChannels: s.cout, scale: scale, relu: relu,
                                             kernels: k, workers: workers)
                }
                XCTAssertEqual(y[0].shape, [s.n, s.cout, s.d, s.h, s.w], name)
                XCTAssertEqual(y[0].shape, y[1].shape, name)
                let differing = zip(y[0].data, y[1].data).filter { $0.bitPattern != $1.bitPattern }.count
                XCTAssertEqual(differing, 0, "\(name): AVX-VNNI differs from AVX-512 VNNI in \(differing) of \(y[0].count) outputs")
                // Not trivially equal: the outputs vary and are not all zero.
                XCTAssertGreaterThan(Set(y[1].data).count, min(y[1].count / 4, 10), name)
                compared += y[0].count
            }
        }
        XCTAssertGreaterThan(compared, 100_000)
    }

    /// The AVX2 range and quad packing against the AVX-512 ones, on lengths around the vector
    /// widths (masked tails), with NULL (zero) channels, rounding halves and clamping.
    func testPackingAndRangesMatch() throws {
        try skipUnlessBoth()
        for n in [1, 5, 8, 9, 15, 16, 17, 31, 100] {
            let c0 = (0..<n).map { Float($0 % 7) * 0.25 - 0.75 }           // halves after dividing by 0.5
            let c1 = (0..<n).map { Float($0) * 3 - 40 }                      // clamps at both ends
            let c3 = (0..<n).map { sin(Float($0)) * 0.01 }
            var lo = [Float](repeating: 0, count: 2), hi = lo
            for (j, c) in [c0, c1, c3].enumerated() {
                c.withUnsafeBufferPointer { p in
                    lits_int8_min_max(p.baseAddress!, n, &lo[0], &hi[0])
                    lits_int8_min_max_avx2(p.baseAddress!, n, &lo[1], &hi[1])
                }
                XCTAssertEqual(lo[0], lo[1], "n \(n) channel \(j) min"); XCTAssertEqual(hi[0], hi[1], "n \(n) channel \(j) max")
                XCTAssertEqual(lo[1], c.min()); XCTAssertEqual(hi[1], c.max())
            }
            // Two extra words after n: neither packing may write past the end.
            var out = [[UInt32]](repeating: [UInt32](repeating: 0xDEAD_BEEF, count: n + 2), count: 2)
            c0.withUnsafeBufferPointer { a in c1.withUnsafeBufferPointer { b in c3.withUnsafeBufferPointer { d in
                let channels: [UnsafePointer<Float>?] = [a.baseAddress!, b.baseAddress!, nil, d.baseAddress!]
                lits_int8_pack_quads(channels, n, [0.5, 0.3, 1, 0.0001], [10, 128, 77, 3], &out[0])
                lits_int8_pack_quads_avx2(channels, n, [0.5, 0.3, 1, 0.0001], [10, 128, 77, 3], &out[1])
            } } }
            XCTAssertEqual(out[0], out[1], "n \(n)")
            XCTAssertEqual(out[1][n], 0xDEAD_BEEF, "n \(n): wrote past the end")
            XCTAssertEqual((out[1][0] >> 16) & 0xFF, 77, "a NULL channel is its zero point")
        }
    }

    /// The rule, as a function of /proc/cpuinfo flags: AVX-512 VNNI first, else AVX-VNNI, else
    /// nothing (int8 runs as fp32); the override picks a set only where the CPU has it.
    func testChoosesBySetOfFlags() {
        let avx2: Set<String> = ["avx", "avx2", "fma"]
        let avx512: Set<String> = avx2.union(["avx512f", "avx512bw", "avx512dq", "avx512vl"])
        let alderLake = avx2.union(["avx_vnni"])                   // no AVX-512
        let iceLake = avx512.union(["avx512_vnni"])                // no AVX-VNNI
        let zen5 = iceLake.union(["avx_vnni"])                     // both
        XCTAssertEqual(Kernels.choose(flags: alderLake), .avxvnni)
        XCTAssertEqual(Kernels.choose(flags: iceLake), .avx512vnni)
        XCTAssertEqual(Kernels.choose(flags: zen5), .avx512vnni)
        XCTAssertNil(Kernels.choose(flags: avx2), "Zen 3: AVX2 and FMA only")
        XCTAssertNil(Kernels.choose(flags: avx512), "Skylake-SP: AVX-512 without VNNI")
        XCTAssertNil(Kernels.choose(flags: ["avx", "avx_vnni"]), "AVX-VNNI needs AVX2 and FMA too")
        XCTAssertNil(Kernels.choose(flags: avx2.union(["avx512_vnni"])), "AVX512_VNNI needs the AVX-512 base")
        XCTAssertNil(Kernels.choose(flags: []))
        // The override.
        XCTAssertEqual(Kernels.choose(flags: zen5, override: "avxvnni"), .avxvnni)
        XCTAssertEqual(Kernels.choose(flags: zen5, override: "avx512vnni"), .avx512vnni)
        XCTAssertNil(Kernels.choose(flags: zen5, override: "fp32"))
        XCTAssertEqual(Kernels.choose(flags: iceLake, override: "avxvnni"), .avx512vnni, "a set the CPU lacks is ignored")
        XCTAssertEqual(Kernels.choose(flags: alderLake, override: "avx512vnni"), .avxvnni)
        XCTAssertEqual(Kernels.choose(flags: alderLake, override: "nonsense"), .avxvnni)
        // This process: what the rule gives for this CPU (and LITSKIT_INT8_KERNELS, if set).
        XCTAssertEqual(DirectConv3dInt8.kernels,
                       Kernels.choose(flags: CPUInfo.flags,
                                      override: ProcessInfo.processInfo.environment["LITSKIT_INT8_KERNELS"]))
        XCTAssertEqual(KernelConvolution.isSupported(.int8), DirectConv3dInt8.kernels != nil)
    }

    /// int8 runs on either direct path (the fp32 layers of an int8 net use its kernels), never on im2col.
    func testRunsOnBothDirectPaths() throws {
        try XCTSkipUnless(DirectConv3dInt8.kernels != nil, "this CPU has no int8 kernels")
        XCTAssertEqual(NetContext(convolution: .im2col, precision: .int8).precision, .fp32)
        XCTAssertEqual(NetContext.available(.int8, .directAVX2), .int8)
        XCTAssertEqual(NetContext.available(.int8, .direct), .int8)
        if DirectKernels.cpuHasAVX2FMA {
            XCTAssertEqual(NetContext(convolution: .directAVX2, precision: .int8).precision, .int8)
        }
    }
}
