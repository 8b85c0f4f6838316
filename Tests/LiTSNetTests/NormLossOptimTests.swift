import Foundation
import LiTSCore
import XCTest
@testable import LiTSNet

// BatchNorm3d, SpatialDropout3d, losses, optimizers, ReduceLROnPlateau and safetensors:
// each checked against finite differences of a Double reference, hand-computed values, and
// values from PyTorch / Python safetensors committed as fixtures (scripts/make_*_fixture.py).

// MARK: helpers

private func fixtureURL(_ name: String) throws -> URL {
    let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
    guard let url = Bundle.module.url(forResource: parts[0], withExtension: parts[1], subdirectory: "Fixtures") else {
        throw XCTSkip("fixture \(name) missing")
    }
    return url
}

private func loadJSON(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: try fixtureURL(name))
    return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

private func doubles(_ any: Any?) -> [Double] {
    (any as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan }
}

private func ints(_ any: Any?) -> [Int] { doubles(any).map { Int($0) } }

/// max |a - b| / max |b| (the error relative to the reference's scale).
private func relErr(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "\(a.count) vs \(b.count)")
    let scale = max(b.map { abs($0) }.max() ?? 0, 1e-30)
    return zip(a, b).map { abs(Double($0) - $1) }.max().map { $0 / scale } ?? 0
}

private func relErr(_ a: [Double], _ b: [Double]) -> Double { relErr(a.map { Float($0) }, b) }

private func tmpPath(_ name: String) -> String {
    let dir = NSTemporaryDirectory() + "litsnet-tests-\(getpid())"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return "\(dir)/\(name)"
}

/// Double-precision batch norm forward in training mode (the reference), per channel over
/// (N, D, H, W), biased variance.
private func bnReference(_ x: [Double], shape: [Int], gamma: [Double], beta: [Double], eps: Double) -> [Double] {
    let (n, c, s) = (shape[0], shape[1], shape[2] * shape[3] * shape[4])
    var y = [Double](repeating: 0, count: x.count)
    for ch in 0..<c {
        var idx = [Int]()
        for b in 0..<n { for i in 0..<s { idx.append((b * c + ch) * s + i) } }
        let mean = idx.map { x[$0] }.reduce(0, +) / Double(idx.count)
        let v = idx.map { (x[$0] - mean) * (x[$0] - mean) }.reduce(0, +) / Double(idx.count)
        for i in idx { y[i] = gamma[ch] * (x[i] - mean) / (v + eps).squareRoot() + beta[ch] }
    }
    return y
}

final class NormLossOptimTests: XCTestCase {
    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "litsnet-tests-\(getpid())")
        super.tearDown()
    }

    // MARK: BatchNorm3d

    func testBatchNormBackwardMatchesFiniteDifferences() {
        let shape = [2, 3, 2, 2, 3]
        var rng = SeededGenerator(seed: 11)
        var x = Tensor.uniform(shape, bound: 2, using: &rng)
        for i in 0..<x.count { x.data[i] += Float((i / 12) % 3) * 3 - 2 }  // channel offsets
        let r = Tensor.uniform(shape, bound: 1, using: &rng)
        let bn = BatchNorm3d(3)
        bn.weight.value = Tensor(shape: [3], data: [1.3, -0.6, 0.9])
        bn.bias.value = Tensor(shape: [3], data: [0.1, 0.2, -0.3])
        _ = bn.forward(x)
        let dx = bn.backward(r)

        let xd = x.data.map(Double.init), rd = r.data.map(Double.init)
        let gd = bn.weight.value.data.map(Double.init), bd = bn.bias.value.data.map(Double.init)
        func loss(_ x: [Double], _ g: [Double], _ b: [Double]) -> Double {
            zip(bnReference(x, shape: shape, gamma: g, beta: b, eps: 1e-5), rd).map { $0 * $1 }.reduce(0, +)
        }
        let h = 1e-5
        var fdX = [Double](), fdG = [Double](), fdB = [Double]()
        for i in 0..<xd.count {
            var p = xd, m = xd; p[i] += h; m[i] -= h
            fdX.append((loss(p, gd, bd) - loss(m, gd, bd)) / (2 * h))
        }
        for c in 0..<3 {
            var p = gd, m = gd; p[c] += h; m[c] -= h
            fdG.append((loss(xd, p, bd) - loss(xd, m, bd)) / (2 * h))
            var pb = bd, mb = bd; pb[c] += h; mb[c] -= h
            fdB.append((loss(xd, gd, pb) - loss(xd, gd, mb)) / (2 * h))
        }
        let ex = relErr(dx.data, fdX), eg = relErr(bn.weight.grad.data, fdG), eb = relErr(bn.bias.grad.data, fdB)
        print("BatchNorm3d vs finite differences: dx \(ex), dgamma \(eg), dbeta \(eb)")
        XCTAssertLessThan(ex, 1e-5)
        XCTAssertLessThan(eg, 1e-5)
        XCTAssertLessThan(eb, 1e-5)
        // Gradients accumulate (each backward after its own forward).
        _ = bn.forward(x)
        _ = bn.backward(r)
        XCTAssertLessThan(relErr(bn.weight.grad.data, fdG.map { 2 * $0 }), 1e-5)
    }

    /// The U-Net runs a ReLU that follows a batch norm inside it; forward and backward must equal
    /// the two layers run in turn, in training and in eval mode.
    func testBatchNormWithItsReLUEqualsTheTwoLayers() {
        let shape = [2, 3, 2, 3, 4]
        var rng = SeededGenerator(seed: 12)
        let x = Tensor.uniform(shape, bound: 2, using: &rng)
        let dy = Tensor.uniform(shape, bound: 1, using: &rng)
        for training in [true, false] {
            let fused = BatchNorm3d(3), plain = BatchNorm3d(3), relu = ReLU()
            fused.appliesReLU = true
            for bn in [fused, plain] {
                bn.weight.value = Tensor(shape: [3], data: [1.3, -0.6, 0.9])
                bn.bias.value = Tensor(shape: [3], data: [0.1, 0.2, -0.3])
                bn.runningMean.value = Tensor(shape: [3], data: [0.2, -0.1, 0.3])
                bn.runningVar.value = Tensor(shape: [3], data: [1.5, 0.8, 1.1])
                bn.setTraining(training)
            }
            let y = fused.forward(x), expected = relu.forward(plain.forward(x))
            XCTAssertEqual(y, expected, "forward, training \(training)")
            XCTAssertTrue(y.data.contains(0) && y.data.contains { $0 > 0 }, "the ReLU cuts some values")
            let dx = fused.backward(dy), expectedDx = plain.backward(relu.backward(dy))
            XCTAssertLessThan(relErr(dx.data, expectedDx.data.map(Double.init)), 1e-6, "dx, training \(training)")
            XCTAssertLessThan(relErr(fused.weight.grad.data, plain.weight.grad.data.map(Double.init)), 1e-6, "dgamma")
            XCTAssertLessThan(relErr(fused.bias.grad.data, plain.bias.grad.data.map(Double.init)), 1e-6, "dbeta")
        }
    }

    func testBatchNormRunningStatsAndEvalMode() {
        let shape = [2, 2, 1, 2, 3]
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.uniform(shape, bound: 3, using: &rng)
        let bn = BatchNorm3d(2, momentum: 0.1)
        bn.weight.value = Tensor(shape: [2], data: [2, 0.5])
        bn.bias.value = Tensor(shape: [2], data: [-1, 1])
        _ = bn.forward(x)
        let s = 6, m = 12.0
        for ch in 0..<2 {
            var vals = [Double]()
            for b in 0..<2 { for i in 0..<s { vals.append(Double(x.data[(b * 2 + ch) * s + i])) } }
            let mean = vals.reduce(0, +) / m
            let unbiased = vals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (m - 1)
            XCTAssertEqual(Double(bn.runningMean.value.data[ch]), 0.9 * 0 + 0.1 * mean, accuracy: 1e-6)
            XCTAssertEqual(Double(bn.runningVar.value.data[ch]), 0.9 * 1 + 0.1 * unbiased, accuracy: 1e-6)
        }
        XCTAssertEqual(bn.numBatchesTracked.value.data, [1])
        XCTAssertEqual(bn.numBatchesTracked.value.shape, [])

        // Eval: running statistics, no update, gradient gamma / sqrt(var + eps).
        bn.setTraining(false)
        let rm = bn.runningMean.value, rv = bn.runningVar.value
        let y = bn.forward(x)
        XCTAssertEqual(bn.runningMean.value, rm)
        XCTAssertEqual(bn.numBatchesTracked.value.data, [1])
        for i in 0..<x.count {
            let ch = (i / s) % 2
            let want = Double(bn.weight.value.data[ch]) * (Double(x.data[i]) - Double(rm.data[ch]))
                / (Double(rv.data[ch]) + 1e-5).squareRoot() + Double(bn.bias.value.data[ch])
            XCTAssertEqual(Double(y.data[i]), want, accuracy: 1e-5)
        }
        let dy = Tensor(shape: shape, repeating: 1)
        let dx = bn.backward(dy)
        for i in 0..<x.count {
            let ch = (i / s) % 2
            XCTAssertEqual(Double(dx.data[i]), Double(bn.weight.value.data[ch]) / (Double(rv.data[ch]) + 1e-5).squareRoot(), accuracy: 1e-6)
        }
        XCTAssertEqual(bn.stateDict().map(\.0), ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
    }

    func testBatchNormMatchesPyTorch() throws {
        let doc = try loadJSON("norm_loss.json")
        let f = try XCTUnwrap(doc["batchnorm"] as? [String: Any])
        let shape = ints(f["shape"])
        let bn = BatchNorm3d(shape[1])
        bn.weight.value = Tensor(shape: [shape[1]], data: doubles(f["weight"]).map { Float($0) })
        bn.bias.value = Tensor(shape: [shape[1]], data: doubles(f["bias"]).map { Float($0) })
        let x = Tensor(shape: shape, data: doubles(f["input"]).map { Float($0) })
        let r = Tensor(shape: shape, data: doubles(f["upstream"]).map { Float($0) })
        let y = bn.forward(x)
        let dx = bn.backward(r)
        let errs = [
            ("output", relErr(y.data, doubles(f["output"]))),
            ("input_grad", relErr(dx.data, doubles(f["input_grad"]))),
            ("weight_grad", relErr(bn.weight.grad.data, doubles(f["weight_grad"]))),
            ("bias_grad", relErr(bn.bias.grad.data, doubles(f["bias_grad"]))),
            ("running_mean", relErr(bn.runningMean.value.data, doubles(f["running_mean"]))),
            ("running_var", relErr(bn.runningVar.value.data, doubles(f["running_var"]))),
        ]
        XCTAssertEqual(Int(bn.numBatchesTracked.value.data[0]), f["num_batches_tracked"] as? Int)
        bn.setTraining(false)
        let evalErr = relErr(bn.forward(x).data, doubles(f["eval_output"]))
        print("BatchNorm3d vs PyTorch:", errs.map { "\($0.0) \($0.1)" }.joined(separator: ", "), "eval_output \(evalErr)")
        for (name, e) in errs { XCTAssertLessThan(e, 1e-5, name) }
        XCTAssertLessThan(evalErr, 1e-5)
    }

    // MARK: InstanceNorm3d

    /// Against torch.nn.InstanceNorm3d(3, affine=True) (scripts/make_instance_norm_fixture.py):
    /// output, all three gradients, and eval mode (the same per-sample statistics).
    func testInstanceNormMatchesPyTorch() throws {
        let f = try loadJSON("instance_norm.json")
        let shape = ints(f["shape"])
        let norm = InstanceNorm3d(shape[1])
        norm.weight.value = Tensor(shape: [shape[1]], data: doubles(f["weight"]).map { Float($0) })
        norm.bias.value = Tensor(shape: [shape[1]], data: doubles(f["bias"]).map { Float($0) })
        let x = Tensor(shape: shape, data: doubles(f["input"]).map { Float($0) })
        let r = Tensor(shape: shape, data: doubles(f["upstream"]).map { Float($0) })
        let y = norm.forward(x)
        let dx = norm.backward(r)
        let errs = [
            ("output", relErr(y.data, doubles(f["output"]))),
            ("input_grad", relErr(dx.data, doubles(f["input_grad"]))),
            ("weight_grad", relErr(norm.weight.grad.data, doubles(f["weight_grad"]))),
            ("bias_grad", relErr(norm.bias.grad.data, doubles(f["bias_grad"]))),
        ]
        norm.setTraining(false)
        let evalErr = relErr(norm.forward(x).data, doubles(f["eval_output"]))
        print("InstanceNorm3d vs PyTorch:", errs.map { "\($0.0) \($0.1)" }.joined(separator: ", "), "eval_output \(evalErr)")
        for (name, e) in errs { XCTAssertLessThan(e, 1e-5, name) }
        XCTAssertLessThan(evalErr, 1e-5)
    }

    /// A U-Net with --norm instance keeps the names bn1/bn2 with weight and bias only (no
    /// running statistics), and a config written before `norm` existed reads as batch norm.
    func testUNetWithInstanceNormAndOldConfigs() throws {
        var config = UNetConfig()
        config.filters = [2, 4]
        config.norm = .instance
        let net = UNet3D(config)
        XCTAssertTrue(net.namedBuffers.isEmpty)
        XCTAssertTrue(net.namedParameters.contains { $0.0 == "enc.0.bn1.weight" })
        let y = net.forward(Tensor(shape: [2, 1, 4, 4, 4], repeating: 0.5))
        XCTAssertEqual(y.shape, [2, 2, 4, 4, 4])
        let old = #"{"inChannels":1,"outChannels":2,"filters":[4,8],"dropout":0,"residual":false,"seed":3}"#
        let decoded = try JSONDecoder().decode(UNetConfig.self, from: Data(old.utf8))
        XCTAssertEqual(decoded.norm, .batch)
        XCTAssertEqual(decoded.seed, 3)
        XCTAssertEqual(try JSONDecoder().decode(UNetConfig.self, from: JSONEncoder().encode(config)), config)
    }

    // MARK: SpatialDropout3d

    func testSpatialDropoutMasksScaleAndBackward() {
        let shape = [3, 8, 2, 2, 2]
        let x = Tensor(shape: shape, data: (0..<(3 * 8 * 8)).map { Float($0 % 17) + 1 })
        let a = SpatialDropout3d(p: 0.5, seed: 42), b = SpatialDropout3d(p: 0.5, seed: 42)
        let ya = a.forward(x), yb = b.forward(x)
        XCTAssertEqual(ya, yb, "same seed, same mask")
        XCTAssertEqual(a.mask.count, 24)
        let dropped = a.mask.filter { $0 == 0 }.count
        XCTAssertTrue(dropped > 0 && dropped < 24, "some but not all channels dropped (\(dropped))")
        for nc in 0..<24 {
            let k = a.mask[nc]
            XCTAssertTrue(k == 0 || k == 2)
            for i in (nc * 8)..<(nc * 8 + 8) { XCTAssertEqual(ya.data[i], x.data[i] * k) }  // whole channel
        }
        let dy = Tensor(shape: shape, repeating: 1)
        let dx = a.backward(dy)
        for nc in 0..<24 { for i in (nc * 8)..<(nc * 8 + 8) { XCTAssertEqual(dx.data[i], a.mask[nc]) } }
        // The next forward draws a new mask; a third layer with the same seed reproduces the sequence.
        let ya2 = a.forward(x), yb2 = b.forward(x)
        XCTAssertEqual(ya2, yb2)
        XCTAssertNotEqual(ya2, ya)
        XCTAssertNotEqual(SpatialDropout3d(p: 0.5, seed: 43).forward(x), ya)
        // Eval: identity both ways.
        a.setTraining(false)
        XCTAssertEqual(a.forward(x), x)
        XCTAssertEqual(a.backward(dy), dy)
        // p = 1 zeroes everything; p = 0 is the identity.
        XCTAssertEqual(SpatialDropout3d(p: 1, seed: 1).forward(x).data.max(), 0)
        XCTAssertEqual(SpatialDropout3d(p: 0, seed: 1).forward(x), x)
        // Kept fraction close to 1 - p over many channels.
        let big = SpatialDropout3d(p: 0.3, seed: 9)
        _ = big.forward(Tensor(shape: [50, 40, 1, 1, 1], repeating: 1))
        let kept = Double(big.mask.filter { $0 > 0 }.count) / 2000
        XCTAssertEqual(kept, 0.7, accuracy: 0.04)
        XCTAssertEqual(Double(big.mask.first { $0 > 0 } ?? 0), 1 / 0.7, accuracy: 1e-6)
    }

    // MARK: losses

    func testLossHandComputedValues() {
        // One channel, two voxels: pred [0.5, 1], target [1, 0]: I = 0.5, U = 2.5.
        let p = Tensor(shape: [1, 1, 1, 1, 2], data: [0.5, 1]), t = Tensor(shape: [1, 1, 1, 1, 2], data: [1, 0])
        let j = Losses.jaccardDistance(pred: p, target: t)
        XCTAssertEqual(j.value, (1 - 100.5 / 102) * 100, accuracy: 1e-12)
        // dL/dp = -s (t B - A (1 - t)) / B^2 with A = 100.5, B = 102.
        XCTAssertEqual(Double(j.grad.data[0]), -100 * (102 - 0) / (102 * 102), accuracy: 1e-7)
        XCTAssertEqual(Double(j.grad.data[1]), 100 * 100.5 / (102 * 102), accuracy: 1e-7)
        let d = Losses.softDice(pred: p, target: t, eps: 0)
        XCTAssertEqual(d.value, 1 - 1 / 2.5, accuracy: 1e-12)
        XCTAssertEqual(Double(d.grad.data[0]), -(2 * 2.5 - 1) / (2.5 * 2.5), accuracy: 1e-7)
        XCTAssertEqual(Double(d.grad.data[1]), 1 / (2.5 * 2.5), accuracy: 1e-7)
        // Perfect prediction: zero loss for both.
        XCTAssertEqual(Losses.jaccardDistance(pred: t, target: t).value, 0, accuracy: 1e-12)
        XCTAssertEqual(Losses.softDice(pred: t, target: t).value, 0, accuracy: 1e-12)

        // Two channels with weights [1, 3]: total = (L0 + 3 L1) / 4.
        let p2 = Tensor(shape: [1, 2, 1, 1, 2], data: [0.5, 1, 1, 0]), t2 = Tensor(shape: [1, 2, 1, 1, 2], data: [1, 0, 1, 0])
        let w = Losses.softDice(pred: p2, target: t2, eps: 0, channelWeights: [1, 3])
        XCTAssertEqual(w.perChannel[0], 0.6, accuracy: 1e-12)
        XCTAssertEqual(w.perChannel[1], 0, accuracy: 1e-12)
        XCTAssertEqual(w.value, 0.15, accuracy: 1e-12)

        // Hard Dice at 0.5: pred > 0.5 is [0, 1] vs target [1, 0] -> 0; both empty -> NaN.
        XCTAssertEqual(Losses.dice(pred: p, target: t), [0])
        let empty = Tensor(shape: [1, 1, 1, 1, 2], data: [0.2, 0.5])
        XCTAssertTrue(Losses.dice(pred: empty, target: Tensor(shape: [1, 1, 1, 1, 2])).first!.isNaN)
        XCTAssertEqual(Losses.dice(pred: t, target: t), [1])
        let per = Losses.dicePerSample(pred: Tensor(shape: [2, 1, 1, 1, 2], data: [0.9, 0.9, 0, 0]),
                                       target: Tensor(shape: [2, 1, 1, 1, 2], data: [1, 0, 0, 0]))
        XCTAssertEqual(per[0][0], 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertTrue(per[1][0].isNaN)
    }

    func testLossGradientsMatchFiniteDifferences() {
        let shape = [2, 2, 1, 3, 3]
        var rng = SeededGenerator(seed: 3)
        let logits = Tensor.uniform(shape, bound: 3, using: &rng)
        let pred = Tensor(shape: shape, data: logits.data.map { 1 / (1 + exp(-$0)) })
        let target = Tensor(shape: shape, data: (0..<pred.count).map { _ in Float.random(in: 0..<1, using: &rng) < 0.4 ? 1 : 0 })
        let cases: [(String, (Tensor) -> LossOutput)] = [
            ("jaccard batch", { Losses.jaccardDistance(pred: $0, target: target, channelWeights: [1, 3]) }),
            ("jaccard sample", { Losses.jaccardDistance(pred: $0, target: target, channelWeights: [2, 1], reduction: .sample) }),
            ("dice batch", { Losses.softDice(pred: $0, target: target, channelWeights: [1, 3]) }),
            ("dice sample", { Losses.softDice(pred: $0, target: target, eps: 1, reduction: .sample) }),
        ]
        for (name, f) in cases {
            let out = f(pred)
            var fd = [Double]()
            for i in 0..<pred.count {
                var p = pred, m = pred
                p.data[i] += 1e-3
                m.data[i] -= 1e-3
                let step = Double(p.data[i]) - Double(m.data[i])  // the step Float really took
                fd.append((f(p).value - f(m).value) / step)
            }
            let e = relErr(out.grad.data, fd)
            print("\(name) gradient vs finite differences: \(e)")
            XCTAssertLessThan(e, 1e-5, name)
        }
    }

    func testLossesMatchPyTorch() throws {
        let doc = try loadJSON("norm_loss.json")
        let f = try XCTUnwrap(doc["losses"] as? [String: Any])
        let shape = ints(f["shape"])
        let pred = Tensor(shape: shape, data: doubles(f["pred"]).map { Float($0) })
        let target = Tensor(shape: shape, data: doubles(f["target"]).map { Float($0) })
        let w = doubles(f["weights"])
        let outs: [(String, LossOutput)] = [
            ("jaccard_batch", Losses.jaccardDistance(pred: pred, target: target, channelWeights: w)),
            ("jaccard_sample", Losses.jaccardDistance(pred: pred, target: target, channelWeights: w, reduction: .sample)),
            ("dice_batch", Losses.softDice(pred: pred, target: target, eps: 1e-5, channelWeights: w)),
        ]
        for (name, out) in outs {
            let ref = try XCTUnwrap(f[name] as? [String: Any])
            let ev = abs(out.value - ((ref["value"] as? Double) ?? .nan)) / abs((ref["value"] as? Double) ?? 1)
            let ec = relErr(out.perChannel, doubles(ref["per_channel"]))
            let eg = relErr(out.grad.data, doubles(ref["grad"]))
            print("\(name) vs PyTorch: value \(ev), per channel \(ec), grad \(eg)")
            XCTAssertLessThan(ev, 1e-5, name)
            XCTAssertLessThan(ec, 1e-5, name)
            XCTAssertLessThan(eg, 1e-5, name)
        }
        let hard = Losses.dice(pred: pred, target: target)
        let want = (f["hard_dice"] as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan }
        XCTAssertEqual(hard.count, want.count)
        for (a, b) in zip(hard, want) {
            if b.isNaN { XCTAssertTrue(a.isNaN) } else { XCTAssertEqual(a, b, accuracy: 1e-12) }
        }
    }

    // MARK: optimizers

    /// Quadratic 0.5 * sum(a * p^2): gradient a * p.
    private func quadraticRun(_ make: ([Parameter]) -> any Optimizer, p0: [Float], a: [Float], steps: Int) -> [[Float]] {
        let p = Parameter(Tensor(shape: [p0.count], data: p0))
        let opt = make([p])
        var out = [[Float]]()
        for _ in 0..<steps {
            opt.zeroGrad()
            for i in 0..<p0.count { p.grad.data[i] = a[i] * p.value.data[i] }
            opt.step()
            out.append(p.value.data)
        }
        return out
    }

    func testAdamAndSGDMatchHandComputedUpdates() {
        let p0: [Float] = [1, -2, 0.5], a: [Float] = [1, 3, 0.5]
        // Hand-computed torch.optim.Adam (lr 0.1, betas 0.9/0.999, eps 1e-8), in Double.
        func adamRef(wd: Double, decoupled: Bool, keras: Bool = false, eps: Double = 1e-8) -> [[Double]] {
            var p = p0.map(Double.init), m = [Double](repeating: 0, count: 3), v = m
            var out = [[Double]]()
            for t in 1...3 {
                for i in 0..<3 {
                    var g = Double(a[i]) * p[i]
                    if decoupled { p[i] *= 1 - 0.1 * wd } else { g += wd * p[i] }
                    m[i] = 0.9 * m[i] + 0.1 * g
                    v[i] = 0.999 * v[i] + 0.001 * g * g
                    let bc1 = 1 - pow(0.9, Double(t)), bc2 = 1 - pow(0.999, Double(t))
                    if keras {
                        p[i] -= 0.1 * bc2.squareRoot() / bc1 * m[i] / (v[i].squareRoot() + eps)
                    } else {
                        p[i] -= 0.1 * (m[i] / bc1) / ((v[i] / bc2).squareRoot() + eps)
                    }
                }
                out.append(p)
            }
            return out
        }
        func check(_ got: [[Float]], _ want: [[Double]], _ name: String) {
            for (g, w) in zip(got, want) { XCTAssertLessThan(relErr(g, w), 1e-6, name) }
        }
        check(quadraticRun({ Adam(parameters: $0, lr: 0.1) }, p0: p0, a: a, steps: 3), adamRef(wd: 0, decoupled: false), "adam")
        check(quadraticRun({ Adam(parameters: $0, lr: 0.1, weightDecay: .l2(0.1)) }, p0: p0, a: a, steps: 3), adamRef(wd: 0.1, decoupled: false), "adam l2")
        check(quadraticRun({ Adam(parameters: $0, lr: 0.1, weightDecay: .decoupled(0.1)) }, p0: p0, a: a, steps: 3), adamRef(wd: 0.1, decoupled: true), "adamw")
        check(quadraticRun({ Adam.keras(parameters: $0, lr: 0.1) }, p0: p0, a: a, steps: 3), adamRef(wd: 0, decoupled: false, keras: true, eps: 1e-7), "adam keras")
        // First Adam step moves each coordinate by lr * sign(g) (m_hat / sqrt(v_hat) = g / |g|).
        let first = quadraticRun({ Adam(parameters: $0, lr: 0.1) }, p0: p0, a: a, steps: 1)[0]
        XCTAssertEqual(first[0], 0.9, accuracy: 1e-6)
        XCTAssertEqual(first[1], -1.9, accuracy: 1e-6)

        // SGD momentum 0.9, lr 0.1, by hand: buf1 = g1; p1 = p0 - 0.1 g1; buf2 = 0.9 buf1 + g2 ...
        var p = p0.map(Double.init), buf = [Double](repeating: 0, count: 3)
        var want = [[Double]]()
        for t in 1...3 {
            for i in 0..<3 {
                let g = Double(a[i]) * p[i]
                buf[i] = t == 1 ? g : 0.9 * buf[i] + g
                p[i] -= 0.1 * buf[i]
            }
            want.append(p)
        }
        check(quadraticRun({ SGD(parameters: $0, lr: 0.1, momentum: 0.9) }, p0: p0, a: a, steps: 3), want, "sgd momentum")
        // Plain SGD: p *= 1 - lr a.
        let plain = quadraticRun({ SGD(parameters: $0, lr: 0.1) }, p0: p0, a: a, steps: 1)[0]
        XCTAssertEqual(plain, [0.9, -1.4, 0.475])
    }

    func testOptimizersMatchPyTorch() throws {
        let doc = try loadJSON("norm_loss.json")
        let f = try XCTUnwrap(doc["optim"] as? [String: Any])
        let p0 = doubles(f["p0"]).map { Float($0) }, a = doubles(f["a"]).map { Float($0) }
        let steps = try XCTUnwrap(f["steps"] as? Int)
        let traj = try XCTUnwrap(f["trajectories"] as? [String: Any])
        let makers: [String: ([Parameter]) -> any Optimizer] = [
            "adam": { Adam(parameters: $0, lr: 0.1) },
            "adam_l2": { Adam(parameters: $0, lr: 0.1, weightDecay: .l2(0.1)) },
            "adamw": { Adam(parameters: $0, lr: 0.1, weightDecay: .decoupled(0.1)) },
            "adam_eps": { Adam(parameters: $0, lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-2) },
            "sgd": { SGD(parameters: $0, lr: 0.1) },
            "sgd_momentum": { SGD(parameters: $0, lr: 0.1, momentum: 0.9) },
            "sgd_dampening": { SGD(parameters: $0, lr: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.01) },
            "sgd_nesterov": { SGD(parameters: $0, lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true) },
        ]
        XCTAssertEqual(Set(makers.keys), Set(traj.keys))
        var worst = 0.0
        for (name, make) in makers {
            let want = (traj[name] as? [Any] ?? []).map(doubles)
            let got = quadraticRun(make, p0: p0, a: a, steps: steps)
            XCTAssertEqual(got.count, want.count, name)
            for (g, w) in zip(got, want) {
                let e = relErr(g, w)
                worst = max(worst, e)
                XCTAssertLessThan(e, 1e-6, name)
            }
        }
        print("optimizers vs PyTorch: max relative error \(worst)")
    }

    func testOptimizerStateRoundTripThroughSafetensors() throws {
        let a: [Float] = [1, 3, 0.5]
        func grads(_ p: Parameter) { for i in 0..<3 { p.grad.data[i] = a[i] * p.value.data[i] } }
        for kind in ["adam", "sgd"] {
            func make(_ p: Parameter) -> any Optimizer {
                kind == "adam" ? Adam(parameters: [p], lr: 0.05) : SGD(parameters: [p], lr: 0.05, momentum: 0.9)
            }
            let p = Parameter(Tensor(shape: [3], data: [1, -2, 0.5]))
            let opt = make(p)
            for _ in 0..<3 { grads(p); opt.step() }
            opt.learningRate = 0.01
            let path = tmpPath("\(kind)-state.safetensors")
            try Safetensors.write(opt.stateDict(), to: path)

            let q = Parameter(p.value)
            let resumed = make(q)
            try resumed.load(stateDict: try Safetensors.read(path).tensors)
            XCTAssertEqual(resumed.learningRate, 0.01)
            for _ in 0..<2 { grads(p); opt.step(); grads(q); resumed.step() }
            XCTAssertEqual(p.value, q.value, kind)

            // A state for other parameters is refused with a clear message.
            let other = Parameter(Tensor(shape: [4]))
            let wrong = kind == "adam" ? Adam(parameters: [other]) as any Optimizer : SGD(parameters: [other], lr: 1, momentum: 0.9)
            XCTAssertThrowsError(try wrong.load(stateDict: opt.stateDict())) { e in
                XCTAssertTrue("\(e)".contains("shape"), "\(e)")
            }
        }
        let adam = Adam(parameters: [Parameter(Tensor(shape: [2])), Parameter(Tensor(shape: [1]))])
        XCTAssertThrowsError(try adam.load(stateDict: ["step": Tensor(shape: [], data: [1])])) { e in
            XCTAssertTrue("\(e)".contains("missing"), "\(e)")
        }
    }

    func testReduceLROnPlateauFollowsKeras() throws {
        let opt = SGD(parameters: [Parameter(Tensor(shape: [1]))], lr: 0.1)
        let sched = ReduceLROnPlateau(optimizer: opt, mode: .max, factor: 0.5, patience: 2, minDelta: 0, cooldown: 1, minLR: 0.02)
        let metrics = [0.5, 0.5, 0.4, 0.45, 0.45, 0.6, 0.6, 0.6, 0.1, 0.1, 0.1]
        var reduced = [Bool](), lrs = [Float]()
        for m in metrics {
            reduced.append(sched.step(m))
            lrs.append(opt.learningRate)
        }
        // Hand-traced from keras.callbacks.ReduceLROnPlateau.on_epoch_end.
        XCTAssertEqual(reduced, [false, false, true, false, true, false, false, true, false, false, false])
        let want: [Float] = [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02]
        for (g, w) in zip(lrs, want) { XCTAssertEqual(g, w, accuracy: 1e-9) }
        XCTAssertEqual(sched.best, 0.6)
        XCTAssertEqual(sched.wait, 3)  // keeps counting at min_lr

        // Cooldown 2 holds `wait` at 0; min_delta in min mode.
        let opt2 = SGD(parameters: [Parameter(Tensor(shape: [1]))], lr: 1)
        let s2 = ReduceLROnPlateau(optimizer: opt2, mode: .min, factor: 0.1, patience: 1, minDelta: 0.01, cooldown: 2)
        // 1.0 improves; 0.995 is not better by 0.01 -> reduce; 0.99 in cooldown (wait held at 0);
        // 0.98 improves as the cooldown ends; 0.985 is the first miss after it -> reduce again.
        let r2 = [1.0, 0.995, 0.99, 0.98, 0.985].map { s2.step($0) }
        XCTAssertEqual(r2, [false, true, false, false, true])
        XCTAssertEqual(Double(opt2.learningRate), 0.01, accuracy: 1e-9)
        XCTAssertEqual(s2.best, 0.98)

        // NaN never improves; state round trip through metadata strings.
        XCTAssertFalse(sched.step(.nan))
        let restored = ReduceLROnPlateau(optimizer: opt, mode: .max, factor: 0.5, patience: 2, minDelta: 0, cooldown: 1, minLR: 0.02)
        try restored.load(stateMetadata: sched.stateMetadata())
        XCTAssertEqual(restored.best, sched.best)
        XCTAssertEqual(restored.wait, sched.wait)
        XCTAssertEqual(restored.cooldownCounter, sched.cooldownCounter)
        XCTAssertThrowsError(try restored.load(stateMetadata: [:]))
    }

    // MARK: safetensors

    func testSafetensorsRoundTripAndModuleStateDict() throws {
        let path = tmpPath("roundtrip.safetensors")
        var rng = SeededGenerator(seed: 1)
        let entries: [String: SafetensorsTensor] = [
            "a.weight": SafetensorsTensor(Tensor.uniform([2, 3, 1, 1, 1], bound: 1, using: &rng)),
            "b": SafetensorsTensor(Tensor(shape: [], data: [-0.0])),
            "count": SafetensorsTensor(shape: [], int64: [Int64.max]),
            "f64": SafetensorsTensor(shape: [2], float64: [1e-300, .pi]),
            "z": SafetensorsTensor(Tensor(shape: [0, 3])),
        ]
        let meta = ["format": "pt", "config": "{\"quote\": \"\\\"x\\\"\", \"tab\": \"\t\", \"é\": 1}"]
        try Safetensors.write(entries: entries, metadata: meta, to: path)
        let (back, backMeta) = try Safetensors.readEntries(path)
        XCTAssertEqual(back, entries)
        XCTAssertEqual(backMeta, meta)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let n = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual(n % 8, 0, "header padded to 8 bytes")
        XCTAssertEqual(size, 8 + n + 24 + 4 + 8 + 16)
        XCTAssertTrue(try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
            .allSatisfy { !$0.contains(".tmp-") }, "no temporary file left")

        // Module state dict: BatchNorm3d through a file, num_batches_tracked as I64.
        let bn = BatchNorm3d(2)
        _ = bn.forward(Tensor.uniform([2, 2, 1, 2, 2], bound: 1, using: &rng))
        _ = bn.forward(Tensor.uniform([2, 2, 1, 2, 2], bound: 1, using: &rng))
        let bnPath = tmpPath("bn.safetensors")
        try bn.writeSafetensors(to: bnPath, metadata: ["epoch": "3"])
        let stored = try Safetensors.readEntries(bnPath).entries
        XCTAssertEqual(stored["num_batches_tracked"], SafetensorsTensor(shape: [], int64: [2]))
        XCTAssertEqual(stored["running_mean"]?.dtype, "F32")
        let bn2 = BatchNorm3d(2)
        XCTAssertEqual(try bn2.loadSafetensors(from: bnPath), ["epoch": "3"])
        XCTAssertEqual(bn2.stateDict().map(\.1), bn.stateDict().map(\.1))

        // Strict loading: missing, unexpected and mismatched names are all reported.
        var sd = Dictionary(uniqueKeysWithValues: bn.stateDict())
        sd["running_var"] = nil
        sd["extra"] = Tensor(shape: [1])
        sd["weight"] = Tensor(shape: [3])
        let before = bn2.stateDict().map(\.1)
        XCTAssertThrowsError(try bn2.load(stateDict: sd)) { e in
            let s = "\(e)"
            XCTAssertTrue(s.contains("missing running_var") && s.contains("unexpected extra") && s.contains("shape mismatch weight"), s)
        }
        XCTAssertEqual(bn2.stateDict().map(\.1), before, "a failed load changes nothing")
        XCTAssertThrowsError(try BatchNorm3d(3).loadSafetensors(from: bnPath)) { e in
            XCTAssertTrue("\(e)".hasPrefix(bnPath + ": "), "\(e)")
        }
        if let out = ProcessInfo.processInfo.environment["LITSNET_SAFETENSORS_OUT"] {
            try bn.writeSafetensors(to: out + "/bn.safetensors", metadata: ["epoch": "3"])
            try Safetensors.write(entries: entries, metadata: meta, to: out + "/roundtrip.safetensors")
        }
    }

    func testReadsFileWrittenByPythonSafetensors() throws {
        let url = try fixtureURL("python_written.safetensors")
        let (entries, meta) = try Safetensors.readEntries(url.path)
        XCTAssertEqual(meta, ["format": "pt", "note": "LiTSKit fixture"])
        XCTAssertEqual(entries["enc.0.conv1.weight"], SafetensorsTensor(Tensor(shape: [2, 3], data: [-1, -0.5, 0, 0.5, 1, 1.5])))
        XCTAssertEqual(entries["enc.0.bn1.num_batches_tracked"], SafetensorsTensor(shape: [], int64: [7]))
        XCTAssertEqual(entries["scale"], SafetensorsTensor(shape: [3], float64: [0.1, -2.5, 1e300]))
        XCTAssertEqual(entries["empty"], SafetensorsTensor(Tensor(shape: [0, 4])))
        // Writing the same tensors here gives the same bytes as the reference writer.
        let path = tmpPath("same-as-python.safetensors")
        try Safetensors.write(entries: entries, metadata: meta, to: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), try Data(contentsOf: url))
    }

    func testCorruptSafetensorsGiveClearErrors() throws {
        let good = try Safetensors.encode(entries: ["w": SafetensorsTensor(Tensor(shape: [4], data: [1, 2, 3, 4]))],
                                          metadata: ["k": "v"])
        let path = tmpPath("bad.safetensors")
        func expectError(_ bytes: Data, _ fragment: String, line: UInt = #line) {
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: bytes), line: line)
            XCTAssertThrowsError(try Safetensors.read(path), line: line) { e in
                let s = "\(e)"
                XCTAssertTrue(s.hasPrefix(path + ": ") && s.contains(fragment), s, line: line)
                XCTAssertFalse(s.contains("\n"), "one line", line: line)
            }
        }
        let n = Int(good[0])
        expectError(good.prefix(5), "truncated")
        expectError(good.prefix(20), "truncated")
        expectError(good.prefix(good.count - 3), "out of range")
        expectError(good + Data([0, 0, 0, 0]), "cover")
        var badJSON = good
        badJSON[8 + 1] = UInt8(ascii: "]")
        expectError(badJSON, "bad header JSON")
        var notJSON = good
        notJSON[8] = UInt8(ascii: "x")
        expectError(notJSON, "bad header JSON")
        var huge = good
        huge[7] = 0x7f
        expectError(huge, "implausible")
        // data_offsets rewritten to run past the end.
        var header = String(decoding: good[8..<(8 + n)], as: UTF8.self)
        header = header.replacingOccurrences(of: "[0,16]", with: "[0,64]")
        expectError(good.prefix(8) + Data(header.utf8) + good.suffix(from: 8 + n), "out of range")
        var dtype = String(decoding: good[8..<(8 + n)], as: UTF8.self)
        dtype = dtype.replacingOccurrences(of: "\"F32\"", with: "\"BF16\"")
        let padded = Data(dtype.utf8) + Data(repeating: 0x20, count: (8 - dtype.utf8.count % 8) % 8)
        var len = Data(count: 8); len[0] = UInt8(padded.count)
        expectError(len + padded + good.suffix(from: 8 + n), "BF16")
        XCTAssertThrowsError(try Safetensors.read(tmpPath("does-not-exist.safetensors"))) { e in
            XCTAssertTrue("\(e)".contains("no such file"), "\(e)")
        }
    }
}
