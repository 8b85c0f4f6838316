import XCTest
import LiTSCore
import LiTSImaging
import LiTSNet
@testable import LiTSInference

// MARK: - Fixtures built in the test

private func fixtureImage(d: Int, h: Int, w: Int) -> Volume<Float> {
    var v = Volume<Float>(grid: Grid(shape: [w, h, d], spacing: [1, 1, 1]), repeating: 0)
    for k in 0..<d { for j in 0..<h { for i in 0..<w { v[i, j, k] = Float((31 * k + 17 * j + 7 * i) % 23) / 23 } } }
    return v
}

/// The fixture script's predictor: channel 0 = x + mean of the window, channel 1 = 0.5 * mean.
private func windowMeanModel(_ x: Tensor) -> Tensor {
    let (n, _, d, h, w) = x.ncdhw
    let m = d * h * w
    var out = [Float](repeating: 0, count: n * 2 * m)
    for b in 0..<n {
        let window = x.data[(b * m)..<((b + 1) * m)]
        let mean = Float(window.reduce(0.0) { $0 + Double($1) } / Double(m))
        for v in 0..<m {
            out[(2 * b) * m + v] = window[b * m + v] + mean
            out[(2 * b + 1) * m + v] = 0.5 * mean
        }
    }
    return Tensor(shape: [n, 2, d, h, w], data: out)
}

/// Channel 0 = x, channel 1 = 2x: sliding-window blending must give the input back.
private func identityModel(_ x: Tensor) -> Tensor {
    let (n, _, d, h, w) = x.ncdhw
    let m = d * h * w
    var out = [Float](repeating: 0, count: n * 2 * m)
    for b in 0..<n {
        for v in 0..<m {
            out[(2 * b) * m + v] = x.data[b * m + v]
            out[(2 * b + 1) * m + v] = 2 * x.data[b * m + v]
        }
    }
    return Tensor(shape: [n, 2, d, h, w], data: out)
}

private struct MonaiPrediction {
    var name: String
    var shape: (d: Int, h: Int, w: Int)
    var patch: PatchSize
    var overlap: Double
    var blending: Blending
    var batchSize: Int
    var sums: [Double]
    var every37th: [[Float]]
}

// MARK: - Reference values from MONAI 1.6.1 (torch 2.15, CPU float32), printed by
// `.venv/bin/python scripts/make_sliding_window_fixture.py`.

private enum Monai {
    // (length, window, overlap, MONAI starts)
    static let monaiStarts: [(Int, Int, Double, [Int])] = [
        (168, 168, 0.5, [0]),
        (200, 168, 0.5, [0, 32]),
        (100, 16, 0.5, [0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 84]),
        (37, 16, 0.5, [0, 8, 16, 21]),
        (16, 16, 0.5, [0]),
        (10, 16, 0.5, [0]),
        (50, 16, 0.25, [0, 12, 24, 34]),
        (50, 16, 0.0, [0, 16, 32, 34]),
        (17, 16, 0.5, [0, 1]),
        (30, 16, 0.9, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]),
        (13, 8, 0.7, [0, 2, 4, 5]),
        (300, 96, 0.5, [0, 48, 96, 144, 192, 204]),
        (129, 64, 0.33, [0, 42, 65]),
        (23, 10, 0.7, [0, 3, 6, 9, 12, 13]),
        (57, 20, 0.8, [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 37]),
    ]
    /// importance (4, 8, 8): min 0.00100000005, max 0.472366571, every 7th value:
    static let monaiImportance488: [Float] = [
        0.00100000005, 0.00100000005, 0.00100000005, 0.00117087958, 0.00865169521, 0.00865169521, 0.00117087958, 0.00100000005,
        0.00100000005, 0.00100000005, 0.00100000005, 0.00865169521, 0.173773944, 0.472366571, 0.173773944, 0.00865169521,
        0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.0235177465, 0.173773944, 0.173773944, 0.0235177465,
        0.00100000005, 0.00100000005, 0.0011708797, 0.00100000005, 0.00100000005, 0.00100000005, 0.00117087958, 0.00100000005,
        0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005,
    ]
    /// importance (16, 24, 20): min 0.00100000005, max 0.936937332, every 61th value:
    static let monaiImportance162420: [Float] = [
        0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005,
        0.00100000005, 0.00100000005, 0.00100000005, 0.00300201331, 0.00304230815, 0.00100000005, 0.00100000005, 0.00100000005,
        0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005,
        0.00100000005, 0.00100000005, 0.00969398301, 0.0425851382, 0.0586451776, 0.0253177397, 0.00342638348, 0.00100000005,
        0.00100000005, 0.00356621714, 0.0138946706, 0.0169709865, 0.00649806997, 0.00100000005, 0.00100000005, 0.00100000005,
        0.00100000005, 0.00100000005, 0.00257525803, 0.015373054, 0.0287685562, 0.0168769658, 0.00310376659, 0.00100000005,
        0.0041896468, 0.0707592294, 0.374634057, 0.621798754, 0.323527187, 0.0527703613, 0.00269828527, 0.00100000005,
        0.00100000005, 0.00102971599, 0.00151580933, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005,
        0.00155677507, 0.0357285365, 0.257053196, 0.579761267, 0.409914941, 0.090856649, 0.00631303433, 0.00100000005,
        0.0082698511, 0.0527703613, 0.105560385, 0.0661957562, 0.0130130099, 0.00100000005, 0.00100000005, 0.00100000005,
        0.00100000005, 0.00100000005, 0.00448844023, 0.0137564139, 0.013217018, 0.00398088945, 0.00100000005, 0.00100000005,
        0.00793676171, 0.0688207522, 0.187074199, 0.159414113, 0.0425851382, 0.00356621714, 0.00100000005, 0.00100000005,
        0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005,
        0.00100000005, 0.00228404906, 0.00843691267, 0.00976967439, 0.0035464596, 0.00100000005, 0.00100000005, 0.00100000005,
        0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005,
        0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005,
    ]

    static let predictions: [MonaiPrediction] = [
        MonaiPrediction(name: "padH_gaussian", shape: (d: 7, h: 5, w: 19), patch: PatchSize(d: 4, h: 8, w: 8), overlap: 0.5, blending: .gaussian, batchSize: 3,
                        sums: [516.922704, 99.2222242],
                        every37th: [[0.298573345, 0.518512249, 0.692425251, 0.518512249, 0.692414761, 0.866137028, 0.690288663, 0.862313211, 0.689362764, 0.863315761, 1.03779447, 0.863446236, 1.03736615, 0.863157511, 1.0374589, 1.21146929, 1.037534, 1.211447],
                                    [0.149286672, 0.150560468, 0.150560468, 0.150560468, 0.150555223, 0.150459796, 0.14949213, 0.148547947, 0.14902924, 0.149049193, 0.149332047, 0.149114445, 0.149117902, 0.148970068, 0.1491642, 0.149212897, 0.149201766, 0.149201766]]),
        MonaiPrediction(name: "padH_constant", shape: (d: 7, h: 5, w: 19), patch: PatchSize(d: 4, h: 8, w: 8), overlap: 0.25, blending: .constant, batchSize: 2,
                        sums: [517.683417, 99.6025791],
                        every37th: [[0.298573345, 0.518512249, 0.692425251, 0.518512249, 0.692425251, 0.866338313, 0.691491127, 0.865404189, 0.69140625, 0.864385128, 1.03829813, 0.864300251, 1.03787363, 0.863960564, 1.037534, 1.211447, 1.037534, 1.211447],
                                    [0.149286672, 0.150560468, 0.150560468, 0.150560468, 0.150560468, 0.150560468, 0.150093406, 0.150093406, 0.150050953, 0.149583891, 0.149583891, 0.149541438, 0.149371594, 0.149371594, 0.149201766, 0.149201766, 0.149201766, 0.149201766]]),
        MonaiPrediction(name: "small_gaussian", shape: (d: 10, h: 12, w: 9), patch: PatchSize(d: 4, h: 4, w: 4), overlap: 0.6, blending: .gaussian, batchSize: 5,
                        sums: [1030.64747, 257.997654],
                        every37th: [[0.461956531, 0.741328955, 1.00333107, 0.730776012, 1.0097692, 1.25520837, 1.00155652, 1.2571485, 0.516818762, 1.2564311, 0.513070762, 0.784615397, 0.507956803, 0.784343898, 1.05386543, 0.778650463, 1.05561769, 1.30910063, 1.05104685, 1.30423689, 0.554712474, 1.30834258, 0.557087421, 0.826376498, 0.558761895, 0.822644949, 1.0943085, 0.829653561, 1.09332061, 1.33899462],
                                    [0.230978265, 0.240229666, 0.240795955, 0.234953225, 0.244015008, 0.236299723, 0.239908665, 0.237269804, 0.236670256, 0.236911163, 0.234796256, 0.240133822, 0.232239246, 0.239998102, 0.244323954, 0.237151325, 0.245200157, 0.241506875, 0.242914706, 0.23907502, 0.233877987, 0.241127864, 0.235065356, 0.239275187, 0.235902637, 0.237409383, 0.242806435, 0.240913719, 0.242312461, 0.234714687]]),
        MonaiPrediction(name: "padAll_gaussian", shape: (d: 3, h: 5, w: 6), patch: PatchSize(d: 4, h: 8, w: 8), overlap: 0.5, blending: .gaussian, batchSize: 1,
                        sums: [59.2336957, 7.70380452],
                        every37th: [[0.171195656, 0.5625, 0.953804374],
                                    [0.085597828, 0.085597828, 0.085597828]]),
    ]
}

// MARK: - Sliding window

final class SlidingWindowTests: XCTestCase {
    func testWindowStartsMatchMonai() {
        for (length, window, overlap, expected) in Monai.monaiStarts {
            XCTAssertEqual(SlidingWindow.windowStarts(length: length, window: window, overlap: overlap), expected,
                           "length \(length) window \(window) overlap \(overlap)")
        }
    }

    func testImportanceMapMatchesMonai() {
        for (size, step, reference, maxValue) in [(PatchSize(d: 4, h: 8, w: 8), 7, Monai.monaiImportance488, Float(0.472366571)),
                                                  (PatchSize(d: 16, h: 24, w: 20), 61, Monai.monaiImportance162420, Float(0.936937332))] {
            let map = SlidingWindow.importanceMap(size, blending: .gaussian)
            XCTAssertEqual(map.count, size.count)
            let sampled = stride(from: 0, to: map.count, by: step).map { map[$0] }
            XCTAssertEqual(sampled.count, reference.count)
            for (a, b) in zip(sampled, reference) { XCTAssertEqual(a, b, accuracy: 2e-7 * max(1, b) + 1e-6 * b) }
            XCTAssertEqual(map.min()!, Float(1e-3))
            XCTAssertEqual(map.max()!, maxValue, accuracy: 1e-6)
        }
        XCTAssert(SlidingWindow.importanceMap(PatchSize(d: 2, h: 3, w: 4), blending: .constant).allSatisfy { $0 == 1 })
    }

    func testWholePredictionsMatchMonai() {
        for ref in Monai.predictions {
            let image = fixtureImage(d: ref.shape.d, h: ref.shape.h, w: ref.shape.w)
            let options = SlidingWindowOptions(patch: ref.patch, overlap: ref.overlap, blending: ref.blending, batchSize: ref.batchSize)
            let out = SlidingWindow.predict(image, options: options, model: windowMeanModel)
            XCTAssertEqual(out.count, 2)
            for c in 0..<2 {
                XCTAssertEqual(out[c].grid, image.grid)
                let sum = out[c].voxels.reduce(0.0) { $0 + Double($1) }
                XCTAssertEqual(sum, ref.sums[c], accuracy: 1e-6 * ref.sums[c], "\(ref.name) channel \(c) sum")
                let sampled = stride(from: 0, to: out[c].count, by: 37).map { out[c].voxels[$0] }
                XCTAssertEqual(sampled.count, ref.every37th[c].count)
                for (n, (a, b)) in zip(sampled, ref.every37th[c]).enumerated() {
                    XCTAssertEqual(a, b, accuracy: 1e-6, "\(ref.name) channel \(c) voxel \(37 * n)")
                }
            }
        }
    }

    func testIdentityModelReproducesTheInput() {
        // Not divisible by the window, smaller than the window on one axis, and smaller on all.
        let cases: [(shape: [Int], patch: PatchSize, divisor: Int?)] = [
            ([37, 23, 19], PatchSize(d: 8, h: 16, w: 16), nil),
            ([37, 11, 19], PatchSize(d: 8, h: 16, w: 16), nil),
            ([5, 6, 3], PatchSize(d: 8, h: 8, w: 8), nil),
            ([5, 6, 3], PatchSize(d: 8, h: 8, w: 8), 4),
            ([40, 9, 21], PatchSize(d: 16, h: 16, w: 16), 8),
        ]
        for (shape, patch, divisor) in cases {
            var image = Volume<Float>(grid: Grid(shape: shape, spacing: [1, 1, 1]), repeating: 0)
            var rng = SeededGenerator(seed: 17)
            for n in 0..<image.count { image.voxels[n] = Float.random(in: -1...1, using: &rng) }
            for blending in Blending.allCases {
                for overlap in [0.0, 0.25, 0.5] {
                    var calls = 0
                    let options = SlidingWindowOptions(patch: patch, overlap: overlap, blending: blending, batchSize: 3,
                                                       padValue: 7, sideDivisor: divisor)
                    let out = SlidingWindow.predict(image, options: options) { x -> Tensor in
                        calls += 1
                        XCTAssertLessThanOrEqual(x.shape[0], 3)
                        return identityModel(x)
                    }
                    // Exactly: the sums are Float64, so sum(w x) / sum(w) rounds back to x.
                    XCTAssertEqual(out[0].voxels, image.voxels, "\(shape) \(patch) \(blending) overlap \(overlap)")
                    XCTAssertEqual(out[1].voxels, image.voxels.map { 2 * $0 }, "\(shape) \(patch) \(blending) overlap \(overlap)")
                    XCTAssertGreaterThan(calls, 0)
                }
            }
        }
    }

    func testPaddingAndWindowSize() {
        // With a side divisor, short axes get a window of the axis rounded up to it.
        let options = SlidingWindowOptions(patch: PatchSize(d: 16, h: 32, w: 32), sideDivisor: 8)
        XCTAssertEqual(SlidingWindow.windowSize(shape: [40, 9, 5], options: options), PatchSize(d: 8, h: 16, w: 32))
        XCTAssertEqual(SlidingWindow.windowSize(shape: [40, 9, 5], options: SlidingWindowOptions(patch: PatchSize(d: 16, h: 32, w: 32))),
                       PatchSize(d: 16, h: 32, w: 32))
        // The model sees the pad value around a small volume, centred as MONAI pads:
        // a 3x2x1 volume in an 8x4x2 window has (8-3)/2 = 2 columns, 1 row, 0 slices before.
        let image = Volume<Float>(grid: Grid(shape: [3, 2, 1], spacing: [1, 1, 1]), voxels: [1, 2, 3, 4, 5, 6])
        var seen: [Float] = []
        _ = SlidingWindow.predict(image, options: SlidingWindowOptions(patch: PatchSize(d: 2, h: 4, w: 8), padValue: -5)) { x in
            seen = x.data
            return identityModel(x)
        }
        var expected = [Float](repeating: -5, count: 64)
        for j in 0..<2 { for i in 0..<3 { expected[(2 + i) + 8 * (1 + j)] = Float(1 + i + 3 * j) } }
        XCTAssertEqual(seen, expected)
        XCTAssertNotNil(SlidingWindowOptions(overlap: 1).problem)
        XCTAssertNotNil(SlidingWindowOptions(batchSize: 0).problem)
        XCTAssertNil(SlidingWindowOptions().problem)
    }

    func testNearestSlicePaddingRepeatsTheEndSlicesAndKeepsThePadValueInPlane() {
        // The same 3x2x1 volume in a 2x4x8 window (1 slice before the volume, 0 after: MONAI's
        // centring): the slice before repeats the volume's only slice; in plane the pad value stays.
        let image = Volume<Float>(grid: Grid(shape: [3, 2, 1], spacing: [1, 1, 1]), voxels: [1, 2, 3, 4, 5, 6])
        var seen: [Float] = []
        let options = SlidingWindowOptions(patch: PatchSize(d: 2, h: 4, w: 8), padValue: -5, padding: .nearestSlice)
        _ = SlidingWindow.predict(image, options: options) { x in
            seen = x.data
            return identityModel(x)
        }
        var expected = [Float](repeating: -5, count: 64)
        for k in 0..<2 { for j in 0..<2 { for i in 0..<3 { expected[(2 + i) + 8 * (1 + j) + 32 * k] = Float(1 + i + 3 * j) } } }
        XCTAssertEqual(seen, expected)

        // A slab of two identical slices under a model that averages each column over the
        // window's depth: nearest-slice padding gives the slab's values back, constant padding
        // dilutes them by the padded slices (2 of 8 real).
        var slab = Volume<Float>(grid: Grid(shape: [6, 5, 2], spacing: [1, 1, 1]), repeating: 0)
        for k in 0..<2 { for j in 0..<5 { for i in 0..<6 { slab.voxels[i + 6 * (j + 5 * k)] = Float(i + 10 * j) } } }
        let depthMean = { (x: Tensor) -> Tensor in
            let (n, d, hw) = (x.shape[0], x.shape[2], x.shape[3] * x.shape[4])
            var y = Tensor(shape: [n, 1] + Array(x.shape[2...]))
            for b in 0..<n { for p in 0..<hw {
                var sum: Float = 0
                for k in 0..<d { sum += x.data[b * d * hw + k * hw + p] }
                for k in 0..<d { y.data[b * d * hw + k * hw + p] = sum / Float(d) }
            } }
            return y
        }
        for padding in WindowPadding.allCases {
            let o = SlidingWindowOptions(patch: PatchSize(d: 8, h: 5, w: 6), padValue: 0, padding: padding)
            let out = SlidingWindow.predict(slab, options: o, model: depthMean)[0]
            let expectedSlab = slab.voxels.map { padding == .nearestSlice ? $0 : $0 * 2 / 8 }
            for (a, b) in zip(out.voxels, expectedSlab) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(padding)") }
        }
        XCTAssertEqual(InferenceConfig(model: UNetConfig(), patch: .baseline, preprocessing: PreprocessOptions()).windowOptions.padding,
                       .nearestSlice, "lits predict and validation repeat the end slices")
    }

    func testUNetPrediction() throws {
        var config = UNetConfig()
        config.filters = [2, 4]
        config.seed = 1
        let net = UNet3D(config)
        var image = Volume<Float>(grid: Grid(shape: [10, 6, 7], spacing: [1, 1, 1]), repeating: 0)
        var rng = SeededGenerator(seed: 4)
        for n in 0..<image.count { image.voxels[n] = Float.random(in: 0...1, using: &rng) }
        // 6 rows, fewer than the patch's 8: the window shrinks to 6 rows (the network's divisor is 2).
        XCTAssertEqual(SlidingWindow.windowSize(shape: image.shape, options: SlidingWindowOptions(patch: PatchSize(d: 4, h: 8, w: 8), sideDivisor: 2)),
                       PatchSize(d: 4, h: 6, w: 8))
        let out = try SlidingWindow.predict(image, network: net, options: SlidingWindowOptions(patch: PatchSize(d: 4, h: 8, w: 8)))
        XCTAssertEqual(out.count, 2)
        XCTAssert(out.allSatisfy { $0.grid == image.grid && $0.voxels.allSatisfy { $0 > 0 && $0 < 1 } })
        // A patch the network cannot take is a thrown error, not a crash.
        XCTAssertThrowsError(try SlidingWindow.predict(image, network: UNet3D(UNetConfig()),
                                                       options: SlidingWindowOptions(patch: PatchSize(d: 6, h: 8, w: 8))))
    }
}

// MARK: - Post-processing

final class PostprocessTests: XCTestCase {
    private let grid = Grid(shape: [10, 6, 4], spacing: [1, 1, 1])

    private func volume(_ fill: (Int, Int, Int) -> Float) -> Volume<Float> {
        var v = Volume<Float>(grid: grid, repeating: 0)
        for k in 0..<4 { for j in 0..<6 { for i in 0..<10 { v[i, j, k] = fill(i, j, k) } } }
        return v
    }

    func testThresholdsAndLesionsInsideTheLiver() {
        // Liver: a big block at i 0..<5 and a small one at i 8..<10 (not touching); one voxel of
        // p = 0.5 exactly (not liver: the threshold is strict). Lesions: one inside the big
        // block, one in the small block, one in the background.
        let liver = volume { i, j, k in
            if i == 4 && j == 0 && k == 0 { return 0.5 }
            if i < 5 || (i >= 8 && j < 2 && k < 2) { return 0.9 }
            return 0.1
        }
        let lesion = volume { i, j, k in
            if (i == 2 && j == 2 && k == 2) || (i == 9 && j == 0 && k == 0) || (i == 6 && j == 5 && k == 3) { return 0.8 }
            return 0.2
        }
        let plain = Postprocess.labels(liver: liver, lesion: lesion)
        XCTAssertEqual(plain[2, 2, 2], Label.tumor)
        XCTAssertEqual(plain[9, 0, 0], Label.tumor)
        XCTAssertEqual(plain[6, 5, 3], Label.background)  // lesion outside the liver dropped
        XCTAssertEqual(plain[4, 0, 0], Label.background)  // p = 0.5 is not > 0.5
        XCTAssertEqual(plain[8, 1, 1], Label.liver)
        XCTAssertEqual(plain.labelCounts()[1] + plain.labelCounts()[2], 5 * 6 * 4 - 1 + 8)

        var options = PostprocessOptions()
        options.largestLiverComponent = true
        let largest = Postprocess.labels(probabilities: [liver, lesion], options: options)
        XCTAssertEqual(largest[8, 1, 1], Label.background)
        XCTAssertEqual(largest[9, 0, 0], Label.background)  // its liver component was dropped
        XCTAssertEqual(largest[2, 2, 2], Label.tumor)
        XCTAssertEqual(largest.labelCounts()[1] + largest.labelCounts()[2], 5 * 6 * 4 - 1)

        // Threshold only (the baseline): a lesion voxel is a liver voxel too.
        let raw = Postprocess.labels(liver: liver, lesion: lesion, options: .thresholdOnly)
        XCTAssertEqual(raw[6, 5, 3], Label.tumor)
        XCTAssertEqual(raw.labelCounts()[2], 3)

        // Thresholds apply per channel.
        var strict = PostprocessOptions()
        strict.lesionThreshold = 0.85
        XCTAssertEqual(Postprocess.labels(liver: liver, lesion: lesion, options: strict).labelCounts()[2], 0)
        strict.liverThreshold = 0.95
        XCTAssertEqual(Postprocess.labels(liver: liver, lesion: lesion, options: strict).labelCounts()[0], grid.count)
    }

    func testLargestComponentRespectsConnectivity() {
        // Two blocks of 8 and 12 voxels meeting only at an edge: one component under 26- and
        // 18-connectivity, two under 6-connectivity (then the 12-voxel block wins).
        var mask = [Bool](repeating: false, count: grid.count)
        for k in 0..<2 { for j in 0..<2 { for i in 0..<2 { mask[grid.index(i, j, k)] = true } } }
        for k in 0..<2 { for j in 2..<4 { for i in 2..<5 { mask[grid.index(i, j, k)] = true } } }
        XCTAssertEqual(Postprocess.largestComponent(mask, shape: grid.shape, connectivity: .twentySix).filter { $0 }.count, 20)
        XCTAssertEqual(Postprocess.largestComponent(mask, shape: grid.shape, connectivity: .eighteen).filter { $0 }.count, 20)
        let six = Postprocess.largestComponent(mask, shape: grid.shape, connectivity: .six)
        XCTAssertEqual(six.filter { $0 }.count, 12)
        XCTAssertFalse(six[grid.index(0, 0, 0)])
        XCTAssertEqual(Postprocess.largestComponent([Bool](repeating: false, count: grid.count), shape: grid.shape),
                       [Bool](repeating: false, count: grid.count))
        // Empty probabilities give an empty label map.
        let zero = Volume<Float>(grid: grid, repeating: 0)
        var options = PostprocessOptions()
        options.largestLiverComponent = true
        XCTAssertEqual(Postprocess.labels(liver: zero, lesion: zero, options: options).labelCounts()[0], grid.count)
    }
}

/// The cascade's box: the liver's bounding box grown by a margin in mm, cut out and put back.
final class LiverBoxTests: XCTestCase {
    func testBoxMarginCropAndPaste() throws {
        let grid = Grid(shape: [20, 16, 10], spacing: [1, 2, 5], affine: Affine.diagonal(spacing: [1, 2, 5], origin: [10, 20, 30]))
        var mask = [Bool](repeating: false, count: grid.count)
        for (i, j, k) in [(5, 6, 4), (9, 8, 5)] { mask[i + 20 * (j + 16 * k)] = true }
        let box = try XCTUnwrap(LiverBox(mask: mask, grid: grid, marginMM: 4))
        // 4 mm: 4 voxels in x, 2 in y, 1 in z (rounded up).
        XCTAssertEqual(box.lo, [1, 4, 3])
        XCTAssertEqual(box.hi, [13, 10, 6])
        XCTAssertEqual(box.shape, [13, 7, 4])
        XCTAssertEqual(LiverBox(mask: mask, grid: grid, marginMM: 100)?.shape, [20, 16, 10], "clamped to the volume")
        XCTAssertNil(LiverBox(mask: [Bool](repeating: false, count: grid.count), grid: grid, marginMM: 4))

        let v = Volume<Float>(grid: grid, voxels: (0..<grid.count).map { Float($0) })
        let cut = box.crop(v)
        XCTAssertEqual(cut.shape, box.shape)
        XCTAssertEqual(cut.voxels[0], Float(1 + 20 * (4 + 16 * 3)))
        // Every cropped voxel keeps its world position.
        XCTAssertEqual(cut.grid.affine.m[3], v.grid.affine.m[3] + 1, accuracy: 1e-12)
        XCTAssertEqual(cut.grid.affine.m[7], v.grid.affine.m[7] + 8, accuracy: 1e-12)
        XCTAssertEqual(cut.grid.affine.m[11], v.grid.affine.m[11] + 15, accuracy: 1e-12)
        let back = box.paste(cut, into: grid, fill: -1)
        for n in 0..<grid.count {
            let i = n % 20, j = (n / 20) % 16, k = n / 320
            let inside = (1...13).contains(i) && (4...10).contains(j) && (3...6).contains(k)
            XCTAssertEqual(back.voxels[n], inside ? Float(n) : -1)
        }
        let inputs = box.inputs(ct: v, liverMask: mask)
        XCTAssertEqual(inputs[1].voxels.filter { $0 == 1 }.count, 2)
    }

    func testTwoChannelWindowsReachTheModelInOrder() {
        let grid = Grid(shape: [8, 8, 4], spacing: [1, 1, 1])
        let a = Volume<Float>(grid: grid, repeating: 0.25), b = Volume<Float>(grid: grid, repeating: 0.75)
        let options = SlidingWindowOptions(patch: PatchSize(d: 4, h: 8, w: 8), overlap: 0, blending: .constant, batchSize: 1)
        // The "model" returns its second input channel minus its first.
        let out = SlidingWindow.predict(channels: [a, b], options: options) { x in
            let m = x.count / 2
            XCTAssertEqual(x.shape[1], 2)
            return Tensor(shape: [1, 1] + Array(x.shape[2...]), data: (0..<m).map { x.data[m + $0] - x.data[$0] })
        }
        XCTAssertEqual(out.count, 1)
        XCTAssert(out[0].voxels.allSatisfy { abs($0 - 0.5) < 1e-6 })
    }
}

final class CascadeWiringTests: XCTestCase {
    /// Stage one's liver mask reaches stage two as its second channel on the box, and stage two's
    /// lesion output comes back on the full grid (0 outside the box).
    func testStageTwoSeesTheBoxAndTheMaskOfStageOne() {
        let grid = Grid(shape: [16, 16, 8], spacing: [1, 1, 1])
        var ct = Volume<Float>(grid: grid, repeating: 0)
        for k in 2...5 { for j in 4...9 { for i in 3...8 { ct[i, j, k] = 1 } } }  // the "liver"
        ct[14, 14, 7] = 1  // a second component, dropped as post-processing would
        let window = SlidingWindowOptions(patch: PatchSize(d: 8, h: 16, w: 16), overlap: 0, blending: .constant, batchSize: 1)
        var seen: [[Int]] = []
        let probs = Predictor.cascade(ct, liver: { x in x },  // liver probability = CT
                                      liverWindow: window,
                                      lesion: { x in
                                          seen.append(Array(x.shape))
                                          let m = x.count / 2  // output channel 1 = the mask channel x 0.9
                                          return Tensor(shape: x.shape, data: (0..<m).map { _ in 0 } + (0..<m).map { 0.9 * x.data[m + $0] })
                                      }, lesionWindow: window, marginMM: 1, threshold: 0.5, largestLiverComponent: true)
        XCTAssertEqual(seen.first?[1], 2, "two input channels")
        XCTAssertEqual(probs[0].voxels, ct.voxels)
        for k in 0..<8 { for j in 0..<16 { for i in 0..<16 {
            let inLiver = (2...5).contains(k) && (4...9).contains(j) && (3...8).contains(i)
            XCTAssertEqual(probs[1][i, j, k], inLiver ? 0.9 : 0, accuracy: 1e-6, "\(i),\(j),\(k)")
        } } }
        // No liver: no lesion stage, no lesions.
        let none = Predictor.cascade(Volume(grid: grid, repeating: 0), liver: { $0 }, liverWindow: window, lesion: { _ in
            XCTFail("the lesion stage runs only on a liver"); return Tensor(shape: [1]) }, lesionWindow: window, marginMM: 1,
                                     threshold: 0.5, largestLiverComponent: true)
        XCTAssert(none[1].voxels.allSatisfy { $0 == 0 })
    }
}

final class TestTimeMirroringTests: XCTestCase {
    func testMirroringAveragesTheFlippedOutputsFlippedBack() {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor(shape: [2, 1, 3, 4, 5], data: (0..<120).map { _ in Float.random(in: 0...1, using: &rng) })
        // Flipping twice is the identity; every single axis moves voxels.
        XCTAssertEqual(x.flippedSpatially(d: true, h: true, w: true).flippedSpatially(d: true, h: true, w: true), x)
        let w = x.flippedSpatially(d: false, h: false, w: true)
        XCTAssertEqual(w.data[0], x.data[4])
        XCTAssertEqual(x.flippedSpatially(d: true, h: false, w: false).data[0], x.data[2 * 20])
        // A flip-equivariant model (voxel-wise) is unchanged by mirroring.
        let square = { (t: Tensor) in Tensor(shape: t.shape, data: t.data.map { $0 * $0 }) }
        let plain = TestTimeAugmentation.none.apply(x, model: square)
        for (a, b) in zip(TestTimeAugmentation.mirror.apply(x, model: square).data, plain.data) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        // A model that is not (it copies each row's first voxel along w) becomes the average of
        // the first and last voxel of the row: half the flips see each end first.
        let firstOfRow = { (t: Tensor) -> Tensor in
            var y = t
            for r in 0..<(t.data.count / 5) { for i in 0..<5 { y.data[r * 5 + i] = t.data[r * 5] } }
            return y
        }
        var calls = 0
        let mirrored = TestTimeAugmentation.mirror.apply(x) { calls += 1; return firstOfRow($0) }
        XCTAssertEqual(calls, 8)
        for r in 0..<24 {
            for i in 0..<5 { XCTAssertEqual(mirrored.data[r * 5 + i], (x.data[r * 5] + x.data[r * 5 + 4]) / 2, accuracy: 1e-6) }
        }
    }
}
