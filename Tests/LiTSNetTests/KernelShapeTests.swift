import Foundation
import LiTSCore
import XCTest
@testable import LiTSNet

/// The kernel shapes KernelShapeTuner chooses among: every register blocking and several band
/// sizes against the im2col reference (forward, input, weight and bias gradient), the forward's
/// and the gradients' bit-identity across shapes (what makes the tuned choice invisible to a
/// training run), the pure decision, and the cache (with a measurement that times nothing).
final class KernelShapeTests: XCTestCase {
    /// Odd sizes: W not a multiple of 16 (or 8), channel counts not multiples of 4 or 8, one input
    /// channel, 1-row planes, planes split into several bands (for the weight gradient's fixed
    /// 4096-position bands too: 70 x 70 planes of 72-position rows).
    static let layers: [(n: Int, cin: Int, cout: Int, d: Int, h: Int, w: Int)] = [
        (2, 3, 5, 3, 5, 7), (1, 1, 4, 2, 6, 20), (1, 6, 9, 2, 1, 33), (1, 8, 12, 3, 12, 17), (1, 5, 7, 2, 70, 70),
    ]

    /// Every blocking with bands of 64 (several per plane), 4096 and 16384 positions.
    static func shapes(_ kernels: DirectKernels) -> [KernelShape] {
        var all: [KernelShape] = []
        for f in KernelShape.ForwardBlocking.allCases { for g in KernelShape.GradientBlocking.allCases {
            for b in [64, 4096, 16384] { all.append(KernelShape(kernels, forward: f, gradient: g, bandPositions: b)) }
        } }
        return all
    }

    func testEveryAVX512ShapeMatchesIm2col() throws {
        try XCTSkipUnless(DirectConv3d.cpuHasAVX512, "this CPU has no AVX-512")
        try everyShapeMatchesIm2col(.avx512)
    }

    func testEveryAVX2ShapeMatchesIm2col() throws {
        try XCTSkipUnless(DirectKernels.cpuHasAVX2FMA, "this CPU has no AVX2 and FMA")
        try everyShapeMatchesIm2col(.avx2)
    }

    /// Each shape of `kernels` against im2col + OpenBLAS within 1e-5 (normwise); forward and
    /// input gradient bit-identical to the built-in shape's, weight and bias gradients too (same
    /// per-entry sums, same fixed band partition).
    func everyShapeMatchesIm2col(_ kernels: DirectKernels) throws {
        for (i, s) in Self.layers.enumerated() {
            let x = LayerGradientTests.random([s.n, s.cin, s.d, s.h, s.w], seed: UInt64(150 + i))
            let dy = LayerGradientTests.random([s.n, s.cout, s.d, s.h, s.w], seed: UInt64(160 + i))
            var rng = SeededGenerator(seed: UInt64(170 + i))
            let conv = Conv3d(s.cin, s.cout, context: NetContext(convolution: .im2col), using: &rng)
            let y0 = conv.forward(x), dx0 = conv.backward(dy)
            let (w, b) = (conv.weight.value, conv.bias.value.data)
            var first: (Tensor, Tensor, [Float], [Float])?
            for shape in Self.shapes(kernels) {
                let name = "\(shape) layer \(s)"
                let y = DirectConv3d.forward(x, weight: w, bias: b, outChannels: s.cout, kernels: kernels, shape: shape, workers: 2)
                var dW = [Float](repeating: 0, count: w.count), db = [Float](repeating: 0, count: s.cout)
                let dx = try XCTUnwrap(DirectConv3d.backward(x: x, dy: dy, weight: w, inputGradient: true, weightGrad: &dW,
                                                             biasGrad: &db, kernels: kernels, shape: shape, workers: 2))
                func err(_ a: [Float], _ r: [Float]) -> Double {
                    LayerGradientTests.relativeError(a.map(Double.init), r.map(Double.init), floor: 1)
                }
                XCTAssertLessThanOrEqual(err(y.data, y0.data), 1e-5, "\(name): output")
                XCTAssertLessThanOrEqual(err(dx.data, dx0.data), 1e-5, "\(name): input gradient")
                XCTAssertLessThanOrEqual(err(dW, conv.weight.grad.data), 1e-5, "\(name): weight gradient")
                XCTAssertLessThanOrEqual(err(db, conv.bias.grad.data), 1e-5, "\(name): bias gradient")
                XCTAssertGreaterThan(dW.map(abs).max()!, 0.1, "\(name): the weight gradient is not trivially zero")
                // More workers split small layers' bands by output channels too: the same bits.
                let y5 = DirectConv3d.forward(x, weight: w, bias: b, outChannels: s.cout, kernels: kernels, shape: shape, workers: 5)
                XCTAssertEqual(y5.data, y.data, "\(name): output with 5 workers")
                if let f = first {
                    XCTAssertEqual(y.data, f.0.data, "\(name): forward not bit-identical across shapes")
                    XCTAssertEqual(dx.data, f.1.data, "\(name): input gradient not bit-identical across shapes")
                    XCTAssertEqual(dW, f.2, "\(name): weight gradient not bit-identical across shapes")
                    XCTAssertEqual(db, f.3, "\(name): bias gradient not bit-identical across shapes")
                } else {
                    first = (y, dx, dW, db)
                }
            }
        }
    }

    /// A layer given a shape in its NetContext runs it (and gets what the default shape gets).
    func testNetContextCarriesTheShape() throws {
        guard let kernels = DirectKernels.best else { throw XCTSkip("this CPU runs no direct kernels") }
        let path: ConvolutionPath = kernels == .avx512 ? .direct : .directAVX2
        var context = NetContext(convolution: path)
        XCTAssertNil(context.kernelShape(for: kernels), "nil: the process's shape")
        let wide = KernelShape(kernels, forward: .outputs8, gradient: .taps3, bandPositions: 2048)
        context.kernelShape = wide
        XCTAssertEqual(context.kernelShape(for: kernels), wide)
        XCTAssertNil(context.kernelShape(for: kernels == .avx512 ? .avx2 : .avx512), "a shape of another set is ignored")
        let x = LayerGradientTests.random([1, 3, 2, 9, 11], seed: 180)
        var results: [Tensor] = []
        for shape in [KernelShape.builtIn(kernels), wide] {
            context.kernelShape = shape
            var rng = SeededGenerator(seed: 181)
            results.append(Conv3d(3, 6, context: context, using: &rng).forward(x))
        }
        XCTAssertEqual(results[0], results[1])
    }

    /// What makes the tuned choice safe for training: two U-Net training steps (forward,
    /// backward, Adam) give bit-identical weights whatever shape the layers run.
    func testTrainingStepsAreBitIdenticalForEveryShape() throws {
        guard let kernels = DirectKernels.best else { throw XCTSkip("this CPU runs no direct kernels") }
        let path: ConvolutionPath = kernels == .avx512 ? .direct : .directAVX2
        var config = UNetConfig()
        config.filters = [4, 8]
        let x = LayerGradientTests.random([1, 1, 4, 18, 22], seed: 190)
        var y = Tensor(shape: [1, 2, 4, 18, 22])
        for i in 0..<y.count where (i * 7919) % 3 == 0 { y.data[i] = 1 }
        var weights: [[[Float]]] = []
        for shape in [KernelShape.builtIn(kernels), KernelShape(kernels, forward: .outputs8, gradient: .taps3, bandPositions: 64)] {
            var context = NetContext(workers: 2, convolution: path)
            context.kernelShape = shape
            let model = UNet3D(config, context: context)
            let adam = Adam(parameters: model.parameters, lr: 1e-2)
            model.setTraining(true)
            for _ in 0..<2 {
                model.zeroGrad()
                model.backward(Losses.jaccardDistance(pred: model.forward(x), target: y).grad)
                adam.step()
            }
            weights.append(model.parameters.map(\.value.data))
        }
        XCTAssertEqual(weights[0].count, weights[1].count)
        XCTAssertTrue(zip(weights[0], weights[1]).allSatisfy { $0 == $1 }, "weights differ between kernel shapes")
    }

    func testChannelGroupsOnlyWhereBandsAreFewerThanTwoPerWorker() {
        XCTAssertEqual(DirectConv3d.channelGroups(bands: 64, spans: 8, workers: 2), 1)
        XCTAssertEqual(DirectConv3d.channelGroups(bands: 4, spans: 8, workers: 2), 1)
        XCTAssertEqual(DirectConv3d.channelGroups(bands: 3, spans: 8, workers: 2), 2)
        XCTAssertEqual(DirectConv3d.channelGroups(bands: 2, spans: 32, workers: 16), 16)
        XCTAssertEqual(DirectConv3d.channelGroups(bands: 2, spans: 4, workers: 16), 4, "at most one group per kernel block")
        XCTAssertEqual(DirectConv3d.channelGroups(bands: 1, spans: 1, workers: 16), 1)
    }

    // MARK: - The decision

    func timing(_ f: KernelShape.ForwardBlocking, _ g: KernelShape.GradientBlocking, _ band: Int, _ seconds: Double) -> KernelShapeTuner.Timing {
        .init(shape: KernelShape(.avx512, forward: f, gradient: g, bandPositions: band), seconds: seconds)
    }

    func testDecisionPicksTheFastestBeyondTheMargin() {
        let builtIn = KernelShape.builtIn(.avx512)
        XCTAssertEqual(builtIn, KernelShape(.avx512, forward: .outputs4, gradient: .taps6, bandPositions: 4096))
        let forward = [timing(.outputs4, .taps6, 4096, 1.00), timing(.outputs4, .taps6, 8192, 0.95),
                       timing(.outputs8, .taps6, 2048, 0.90), timing(.outputs8, .taps6, 16384, 0.92)]
        let gradient = [timing(.outputs4, .taps6, 4096, 2.0), timing(.outputs4, .taps3, 4096, 1.5)]
        XCTAssertEqual(KernelShapeTuner.decide(.avx512, forward: forward, gradient: gradient),
                       KernelShape(.avx512, forward: .outputs8, gradient: .taps3, bandPositions: 2048))
        // Within 5% of the built-in: keep it (noise must not move the choice).
        let close = [timing(.outputs4, .taps6, 4096, 1.00), timing(.outputs8, .taps6, 2048, 0.96)]
        let closeGradient = [timing(.outputs4, .taps6, 4096, 2.0), timing(.outputs4, .taps3, 4096, 1.91)]
        XCTAssertEqual(KernelShapeTuner.decide(.avx512, forward: close, gradient: closeGradient), builtIn)
        // Forward and gradient are chosen separately.
        XCTAssertEqual(KernelShapeTuner.decide(.avx512, forward: close, gradient: gradient).gradient, .taps3)
        XCTAssertEqual(KernelShapeTuner.decide(.avx512, forward: forward, gradient: closeGradient).gradient, .taps6)
        // No timings, failed ones (NaN, zero), no built-in timing to compare with, or timings of
        // another kernel set: the built-in shape.
        XCTAssertEqual(KernelShapeTuner.decide(.avx512, forward: [], gradient: []), builtIn)
        XCTAssertEqual(KernelShapeTuner.decide(.avx512, forward: [timing(.outputs4, .taps6, 4096, .nan), timing(.outputs8, .taps6, 2048, 0.5)],
                                               gradient: [timing(.outputs4, .taps3, 4096, 0)]), builtIn)
        XCTAssertEqual(KernelShapeTuner.decide(.avx2, forward: forward, gradient: gradient), KernelShape.builtIn(.avx2))
    }

    func testCandidatesStartWithTheBuiltInShape() {
        for kernels in [DirectKernels.avx512, .avx2] {
            let forward = KernelShapeTuner.forwardCandidates(kernels), gradient = KernelShapeTuner.gradientCandidates(kernels)
            XCTAssertEqual(forward.first, KernelShape.builtIn(kernels))
            XCTAssertEqual(gradient.first, KernelShape.builtIn(kernels))
            XCTAssertEqual(forward.count, 2 * KernelShape.bandCandidates.count)
            XCTAssertEqual(Set(forward).count, forward.count)
            XCTAssertEqual(Set(gradient.map(\.gradient)), Set(KernelShape.GradientBlocking.allCases))
        }
    }

    // MARK: - The cache

    /// A tuner on `directory` whose measurement times nothing: it counts its calls and answers
    /// from `seconds` (the 8-output, 2048 forward and the 3-tap gradient fastest).
    final class FakeMeasure: @unchecked Sendable {
        var calls = 0
        func callAsFunction(_ shape: KernelShape, _ pass: KernelShapeTuner.Pass) -> Double {
            calls += 1
            switch pass {
            case .forward: return shape.forward == .outputs8 && shape.bandPositions == 2048 ? 0.5 : 1
            case .weightGradient: return shape.gradient == .taps3 ? 0.5 : 1
            }
        }
    }

    static let key = KernelShapeTuner.CPUKey(vendor: "TestVendor", family: "25", model: "17", modelName: "Test CPU",
                                             flags: ["avx2", "avx512f", "fma"], cores: 2, kernelVersion: KernelShapeTuner.kernelVersion)
    static let tunedChoice = KernelShape(.avx512, forward: .outputs8, gradient: .taps3, bandPositions: 2048)

    func tuner(_ directory: String?, _ fake: FakeMeasure, key: KernelShapeTuner.CPUKey = KernelShapeTests.key) -> KernelShapeTuner {
        KernelShapeTuner(directory: directory, key: key, measure: { fake($0, $1) })
    }

    func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "kernel-shapes-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func testCacheRoundTrip() throws {
        let dir = try temporaryDirectory(), fake = FakeMeasure()
        let first = tuner(dir, fake).shape(for: .avx512)
        XCTAssertEqual(first.shape, Self.tunedChoice)
        XCTAssertTrue(first.measured)
        // All candidates, then the choice against the built-in shape again (2 + 2 per round).
        let perMeasurement = KernelShapeTuner.repeats * (KernelShapeTuner.forwardCandidates(.avx512).count
            + KernelShapeTuner.gradientCandidates(.avx512).count + 4)
        XCTAssertEqual(fake.calls, perMeasurement)
        let path = try XCTUnwrap(tuner(dir, fake).cachePath)
        XCTAssertTrue(path.hasPrefix(dir + "/kernel-shapes-") && path.hasSuffix(".json"), path)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        // A second process (tuner) reads it and measures nothing.
        let second = tuner(dir, fake).shape(for: .avx512)
        XCTAssertEqual(second.shape, Self.tunedChoice)
        XCTAssertFalse(second.measured)
        XCTAssertEqual(fake.calls, perMeasurement)
        XCTAssertEqual(tuner(dir, fake).cachedTimings(for: .avx512)?.forward.count, KernelShapeTuner.forwardCandidates(.avx512).count)
        // Another kernel set is measured and added beside the first.
        XCTAssertTrue(tuner(dir, fake).shape(for: .avx2).measured)
        XCTAssertFalse(tuner(dir, fake).shape(for: .avx512).measured)
        XCTAssertFalse(tuner(dir, fake).shape(for: .avx2).measured)
        // No temporary files are left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [(path as NSString).lastPathComponent])
    }

    /// A candidate that wins only while something else slows the built-in shape down (the
    /// first rounds) loses the confirmation, and the built-in shape is cached.
    func testAChoiceMustWinTwice() throws {
        let dir = try temporaryDirectory()
        let firstRounds = KernelShapeTuner.repeats * (KernelShapeTuner.forwardCandidates(.avx512).count
            + KernelShapeTuner.gradientCandidates(.avx512).count)
        final class Noisy: @unchecked Sendable { var calls = 0 }
        let noisy = Noisy()
        let tuner = KernelShapeTuner(directory: dir, key: Self.key) { shape, _ in
            noisy.calls += 1
            return noisy.calls <= firstRounds && shape != KernelShape.builtIn(.avx512) ? 0.5 : 1
        }
        let result = tuner.shape(for: .avx512)
        XCTAssertTrue(result.measured)
        XCTAssertEqual(result.shape, KernelShape.builtIn(.avx512))
        XCTAssertEqual(noisy.calls, firstRounds + 4 * KernelShapeTuner.repeats)
        XCTAssertEqual(tuner.shape(for: .avx512).shape, KernelShape.builtIn(.avx512), "cached")
    }

    func testCorruptCacheIsMeasuredAgainAndRewritten() throws {
        let dir = try temporaryDirectory(), fake = FakeMeasure()
        let path = try XCTUnwrap(tuner(dir, fake).cachePath)
        for junk in ["{not json", "", "{\"key\": 3}", "[]"] {
            try junk.write(toFile: path, atomically: true, encoding: .utf8)
            let result = tuner(dir, fake).shape(for: .avx512)
            XCTAssertTrue(result.measured, "cache \(junk.debugDescription)")
            XCTAssertEqual(result.shape, Self.tunedChoice)
            XCTAssertFalse(tuner(dir, fake).shape(for: .avx512).measured, "rewritten after \(junk.debugDescription)")
        }
        // A cached shape this build cannot run (unknown set, absurd band): measured again.
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"bandPositions\" : 2048", with: "\"bandPositions\" : 0")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertTrue(tuner(dir, fake).shape(for: .avx512).measured)
    }

    func testCacheOfAnotherKeyIsIgnored() throws {
        let dir = try temporaryDirectory(), fake = FakeMeasure()
        XCTAssertTrue(tuner(dir, fake).shape(for: .avx512).measured)
        // A new kernel version: same file name, other key inside; measured again and rewritten.
        var newer = Self.key
        newer.kernelVersion += 1
        XCTAssertEqual(tuner(dir, fake, key: newer).cachePath, tuner(dir, fake).cachePath)
        XCTAssertTrue(tuner(dir, fake, key: newer).shape(for: .avx512).measured)
        XCTAssertFalse(tuner(dir, fake, key: newer).shape(for: .avx512).measured)
        XCTAssertTrue(tuner(dir, fake).shape(for: .avx512).measured, "the old version's entry was replaced")
        // Another CPU model or core count: its own file.
        var other = Self.key
        other.modelName = "Other CPU"
        XCTAssertNotEqual(tuner(dir, fake, key: other).cachePath, tuner(dir, fake).cachePath)
        other = Self.key
        other.cores = 16
        XCTAssertNotEqual(tuner(dir, fake, key: other).cachePath, tuner(dir, fake).cachePath)
        XCTAssertTrue(tuner(dir, fake, key: other).shape(for: .avx512).measured)
    }

    func testUnwritableCacheMeansMeasuringEachTime() throws {
        let dir = try temporaryDirectory(), fake = FakeMeasure()
        // A directory under a regular file can be neither created nor written.
        let file = dir + "/plain-file"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        for directory in [file + "/cache", nil] {
            let a = tuner(directory, fake).shape(for: .avx512), b = tuner(directory, fake).shape(for: .avx512)
            XCTAssertTrue(a.measured && b.measured, "\(directory ?? "nil")")
            XCTAssertEqual(a.shape, Self.tunedChoice)
            XCTAssertEqual(b.shape, Self.tunedChoice)
        }
        if getuid() != 0 {   // root writes anywhere
            let readOnly = dir + "/read-only"
            try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
            chmod(readOnly, 0o555)
            defer { chmod(readOnly, 0o755) }
            XCTAssertTrue(tuner(readOnly, fake).shape(for: .avx512).measured)
            XCTAssertTrue(tuner(readOnly, fake).shape(for: .avx512).measured)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: readOnly), [])
        }
    }

    func testCacheDirectoryFromTheEnvironment() {
        // Set in this process for the test, then restored.
        let names = ["LITSKIT_CACHE_DIR", "XDG_CACHE_HOME", "HOME"]
        let saved = names.map { getenv($0).map { String(cString: $0) } }
        defer { for (name, value) in zip(names, saved) { if let value { setenv(name, value, 1) } else { unsetenv(name) } } }
        setenv("LITSKIT_CACHE_DIR", "/tmp/a", 1); setenv("XDG_CACHE_HOME", "/tmp/b", 1); setenv("HOME", "/tmp/c", 1)
        XCTAssertEqual(KernelShapeTuner.defaultDirectory, "/tmp/a")
        unsetenv("LITSKIT_CACHE_DIR")
        XCTAssertEqual(KernelShapeTuner.defaultDirectory, "/tmp/b/litskit")
        setenv("XDG_CACHE_HOME", "", 1)
        XCTAssertEqual(KernelShapeTuner.defaultDirectory, "/tmp/c/.cache/litskit")
        unsetenv("HOME"); unsetenv("XDG_CACHE_HOME")
        XCTAssertNil(KernelShapeTuner.defaultDirectory)
        XCTAssertEqual(KernelShapeTuner.CPUKey.current.kernelVersion, KernelShapeTuner.kernelVersion)
        XCTAssertEqual(KernelShapeTuner.CPUKey.current, KernelShapeTuner.CPUKey.current)
    }

    func testFixedModeFromTheEnvironment() {
        let saved = getenv("LITSKIT_KERNEL_SHAPES").map { String(cString: $0) }
        defer { if let saved { setenv("LITSKIT_KERNEL_SHAPES", saved, 1) } else { unsetenv("LITSKIT_KERNEL_SHAPES") } }
        setenv("LITSKIT_KERNEL_SHAPES", "fixed", 1)
        XCTAssertEqual(KernelShapeTuner.Mode.environment, .fixed)
        unsetenv("LITSKIT_KERNEL_SHAPES")
        XCTAssertEqual(KernelShapeTuner.Mode.environment, .tuned)
        typealias Mode = KernelShapeTuner.Mode
        XCTAssertEqual(Mode(nil), .tuned)
        XCTAssertEqual(Mode(""), .tuned)
        XCTAssertEqual(Mode("tuned"), .tuned)
        XCTAssertEqual(Mode("fixed"), .fixed)
        let wide = KernelShape(.avx2, forward: .outputs8, gradient: .taps3, bandPositions: 2048)
        XCTAssertEqual(Mode("avx2/outputs8/taps3/2048"), .explicit(wide))
        for bad in ["Fixed", "avx2/outputs8/taps3", "avx9/outputs8/taps3/2048", "avx2/outputs5/taps3/2048", "avx2/outputs8/taps3/0"] {
            XCTAssertEqual(Mode(bad), .fixed, bad)
        }
        XCTAssertNil(Mode.tuned.unmeasured(.avx2))
        XCTAssertEqual(Mode.fixed.unmeasured(.avx2), KernelShape.builtIn(.avx2))
        XCTAssertEqual(Mode.explicit(wide).unmeasured(.avx2), wide)
        XCTAssertEqual(Mode.explicit(wide).unmeasured(.avx512), KernelShape.builtIn(.avx512), "a shape of another set: the built-in")
    }
}
