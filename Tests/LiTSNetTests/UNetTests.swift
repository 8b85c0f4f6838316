import Foundation
import LiTSCore
import XCTest
@testable import LiTSNet

/// PyTorch (float64, scripts/make_unet_fixture.py with scripts/unet_torch.py) defines the expected
/// forward outputs, loss, every parameter gradient and the running statistics of a tiny U-Net.
final class UNetTests: XCTestCase {
    func fixture() throws -> (tensors: [String: Tensor], json: [String: Any]) {
        let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        let (tensors, _) = try Safetensors.read(dir.appendingPathComponent("unet_tiny.safetensors").path)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("unet_tiny.json"))) as! [String: Any]
        return (tensors, json)
    }

    func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
        let scale = b.data.map { abs(Double($0)) }.max() ?? 0
        let diff = zip(a.data, b.data).map { abs(Double($0) - Double($1)) }.max() ?? 0
        return scale > 0 ? diff / scale : diff
    }

    func testTinyUNetMatchesPyTorch() throws {
        let (t, json) = try fixture()
        let c = json["config"] as! [String: Any]
        var config = UNetConfig()
        config.filters = c["filters"] as! [Int]
        config.residual = c["residual"] as! Bool
        let model = UNet3D(config)
        var state: [String: Tensor] = [:]
        for (k, v) in t where k.hasPrefix("init.") { state[String(k.dropFirst(5))] = v }
        for (name, b) in model.namedBuffers where name.hasSuffix("num_batches_tracked") { state[name] = b.value }
        try model.load(stateDict: state)
        model.setTraining(true)

        let probs = model.forward(t["input"]!)
        XCTAssertEqual(probs.shape, [2, 2, 8, 8, 8])
        XCTAssertLessThan(relativeError(probs, t["probs"]!), 1e-4, "forward outputs")
        let loss = Losses.jaccardDistance(pred: probs, target: t["target"]!)
        XCTAssertEqual(loss.value, json["loss"] as! Double, accuracy: 1e-4 * abs(json["loss"] as! Double))
        model.backward(loss.grad)
        var checked = 0
        var worst = 0.0
        for (name, p) in model.namedParameters {
            if let e = t["grad.\(name)"], !e.data.allSatisfy({ abs($0) < 1e-9 }) { worst = max(worst, relativeError(p.grad, e)) }
            let expected = try XCTUnwrap(t["grad.\(name)"], name)
            if expected.data.allSatisfy({ abs($0) < 1e-9 }) {
                // A convolution bias followed by batch norm: the norm removes it, so its true gradient
                // is 0 (PyTorch's float64 gives ~1e-17); float32 leaves only rounding noise.
                XCTAssertLessThan(p.grad.data.map { abs($0) }.max()!, 1e-5, "gradient of \(name) should vanish")
            } else {
                XCTAssertLessThan(relativeError(p.grad, expected), 1e-4, "gradient of \(name)")
            }
            checked += 1
        }
        XCTAssertEqual(checked, model.namedParameters.count)
        print("tiny U-Net vs PyTorch: outputs \(relativeError(probs, t["probs"]!)), worst parameter gradient \(worst) (relative to each tensor's largest value)")
        XCTAssertGreaterThan(checked, 40)
        for (name, b) in model.namedBuffers where name.contains("running") {
            XCTAssertLessThan(relativeError(b.value, t["after.\(name)"]!), 1e-4, name)
        }
    }

    /// Eval mode folds each batch norm into its convolution and applies the ReLU as it writes
    /// (direct path only): the result must equal conv, batch norm and ReLU run one after another.
    func testEvalModeFoldingMatchesTheLayersRunInTurn() throws {
        try XCTSkipUnless(NetContext.default.convolution != .im2col, "no direct path on this CPU (or LITSNET_IM2COL=1): nothing is folded")
        for residual in [false, true] {
            var config = UNetConfig()
            config.filters = [4, 8, 16]
            config.residual = residual
            config.seed = 21
            let model = UNet3D(config)
            var rng = SeededGenerator(seed: 22)
            // Batch-norm scales and shifts away from their initial 1 and 0.
            for (name, p) in model.namedParameters where name.contains("bn") {
                p.value = Tensor.uniform(p.value.shape, bound: 0.5, using: &rng)
                if name.hasSuffix("weight") { p.value.data = p.value.data.map { $0 + 1 } }
            }
            let x = Tensor.uniform([1, 1, 8, 16, 16], bound: 1, using: &rng)
            model.setTraining(true)
            _ = model.forward(x)   // moves the running statistics away from 0 and 1
            model.setTraining(false)
            let folded = model.forward(x)
            model.context.convolution = .im2col
            let inTurn = model.forward(x)
            XCTAssertLessThan(relativeError(folded, inTurn), 1e-5, "residual \(residual)")
            XCTAssertGreaterThan(inTurn.data.map { abs($0 - 0.5) }.max()!, 1e-3, "outputs vary")
        }
    }

    /// The model's context reaches every layer that uses it, at construction and when it changes;
    /// a direct path the CPU cannot run becomes im2col, and workers stay at least 1.
    func testContextReachesEveryLayer() {
        var config = UNetConfig()
        config.filters = [4, 8, 16]
        config.residual = true
        let model = UNet3D(config, context: NetContext(workers: 3, convolution: .im2col))
        func contexts() -> [NetContext] {
            let blocks = model.enc + [model.bottleneck] + model.dec
            var all = blocks.flatMap { b in [b.conv1.context, b.conv2.context, b.res!.context, b.bn1.context, b.bn2.context,
                                             b.relu1.context, b.relu2.context] }
            all += model.pools.map(\.context) + model.ups.map(\.context) + [model.head.context]
            return all
        }
        XCTAssertTrue(contexts().allSatisfy { $0 == NetContext(workers: 3, convolution: .im2col) })
        model.context.workers = 1
        XCTAssertTrue(contexts().allSatisfy { $0.workers == 1 && $0.convolution == .im2col })
        XCTAssertEqual(NetContext(workers: 0).workers, 1)
        XCTAssertEqual(NetContext(convolution: .direct).convolution, DirectConv3d.cpuHasAVX512 ? .direct : .im2col)
        XCTAssertEqual(NetContext(convolution: .directAVX2).convolution, DirectKernels.cpuHasAVX2FMA ? .directAVX2 : .im2col)
        XCTAssertEqual(NetContext(convolution: .directAVX2, precision: .bf16).precision, .fp32, "bf16 runs on the AVX-512 path only")
        var context = NetContext(convolution: .im2col)
        context.convolution = .directAVX2
        XCTAssertEqual(context.convolution, DirectKernels.cpuHasAVX2FMA ? .directAVX2 : .im2col)
        XCTAssertEqual(BLASProbe.convolutionPath(NetContext(convolution: .im2col)), "im2col-openblas")
    }

    func testInputSidesMustDivideByTheNumberOfPoolings() {
        var config = UNetConfig()
        config.filters = [4, 8, 16, 32]
        XCTAssertNil(config.problem(withInput: [1, 1, 16, 168, 168]))
        XCTAssertEqual(config.problem(withInput: [1, 1, 12, 168, 168]),
                       "input sides 168x168x12 (W x H x D) must all divide by 8 (2^3 for 3 poolings)")
        XCTAssertNotNil(config.problem(withInput: [1, 2, 16, 16, 16]), "channel count")
    }

    /// A real learning test: a few hundred Adam steps on a small synthetic segmentation task drive
    /// the loss down and the Dice up.
    func testAdamLearnsASyntheticTask() throws {
        var config = UNetConfig()
        config.filters = [4, 8]
        config.outChannels = 1
        let model = UNet3D(config)
        model.setTraining(true)
        let adam = Adam(parameters: model.parameters, lr: 0.01)
        var rng = SeededGenerator(seed: 3)
        // Bright blobs on noise: the target is where the clean signal is bright.
        func sample() -> (Tensor, Tensor) {
            var x = Tensor(shape: [2, 1, 8, 8, 8]), y = Tensor(shape: [2, 1, 8, 8, 8])
            for n in 0..<2 {
                let (cz, cy, cx) = (Int.random(in: 2...5, using: &rng), Int.random(in: 2...5, using: &rng), Int.random(in: 2...5, using: &rng))
                for z in 0..<8 { for yy in 0..<8 { for xx in 0..<8 {
                    let i = n * 512 + z * 64 + yy * 8 + xx
                    let inside = (z - cz) * (z - cz) + (yy - cy) * (yy - cy) + (xx - cx) * (xx - cx) <= 4
                    x.data[i] = (inside ? 1 : 0) + Float.random(in: -0.4...0.4, using: &rng)
                    y.data[i] = inside ? 1 : 0
                } } }
            }
            return (x, y)
        }
        var first = 0.0, last = 0.0, dice = 0.0
        for step in 0..<200 {
            let (x, y) = sample()
            model.zeroGrad()
            let p = model.forward(x)
            let loss = Losses.softDice(pred: p, target: y)
            model.backward(loss.grad)
            adam.step()
            if step < 10 { first += loss.value / 10 }
            if step >= 190 { last += loss.value / 10; dice += Losses.dice(pred: p, target: y)[0] / 10 }
        }
        XCTAssertLessThan(last, first * 0.5, "loss \(first) -> \(last)")
        XCTAssertGreaterThan(dice, 0.8, "Dice at the end of training")
    }
}
