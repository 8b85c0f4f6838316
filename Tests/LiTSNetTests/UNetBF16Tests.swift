import Foundation
import XCTest
@testable import LiTSNet

/// Mixed precision on the tiny U-Net of UNetTests' PyTorch fixture: the same weights and batch in
/// fp32 and in bf16 (kernel-3 convolutions multiply in bf16, everything else fp32).
///
/// Outputs: one bf16 convolution is within 2u + u² (u = 2^-8) of fp32 relative to its sum of
/// magnitudes (BF16ConvolutionTests); the tiny U-Net has 13 kernel-3 convolutions on its longest
/// path, so the outputs and the loss, against each tensor's largest value, are held to 13 * 2u.
/// Gradients: this fixture's (a batch of two 8³ patches, Jaccard loss, batch norm on tiny
/// batches) are ill-conditioned: merely rounding the weights and the input to bf16 and running
/// fp32 moves them by up to ~0.3 of their largest value. No per-element bound says more than
/// that, so the test measures that sensitivity on the same fixture and holds the bf16 run to it:
/// the worst gradient error at most 1.5 times the rounded-fp32 run's worst, and each tensor's at
/// most 3 times that tensor's rounded-fp32 error plus 0.02.
extension UNetTests {
    func testTinyUNetInBF16MatchesFP32() throws {
        try XCTSkipUnless(KernelConvolution.isSupported(.bf16), "this CPU has no AVX512_BF16")
        let (t, json) = try fixture()
        let c = json["config"] as! [String: Any]
        var config = UNetConfig()
        config.filters = c["filters"] as! [Int]
        config.residual = c["residual"] as! Bool
        var results: [(probs: Tensor, loss: Double, grads: [String: Tensor], evalProbs: Tensor)] = []
        func roundedToBF16(_ x: Tensor) -> Tensor {
            Tensor(shape: x.shape, data: DirectConv3dBF16.bf16(x.data).map { Float(bitPattern: UInt32($0) << 16) })
        }
        for (precision, perturb) in [(ConvolutionPrecision.fp32, false), (.bf16, false), (.fp32, true)] {
            let model = UNet3D(config, context: NetContext(precision: precision))
            XCTAssertEqual(model.context.precision, precision)
            var state: [String: Tensor] = [:]
            for (k, v) in t where k.hasPrefix("init.") { state[String(k.dropFirst(5))] = perturb && k.contains("weight") ? roundedToBF16(v) : v }
            for (name, b) in model.namedBuffers where name.hasSuffix("num_batches_tracked") { state[name] = b.value }
            try model.load(stateDict: state)
            model.setTraining(true)
            let probs = model.forward(perturb ? roundedToBF16(t["input"]!) : t["input"]!)
            let loss = Losses.jaccardDistance(pred: probs, target: t["target"]!)
            model.backward(loss.grad)
            var grads: [String: Tensor] = [:]
            for (name, p) in model.namedParameters { grads[name] = p.grad }
            model.setTraining(false)   // eval: batch norm folded into the convolutions
            results.append((probs, loss.value, grads, model.forward(t["input"]!)))
        }
        let (a, b, p) = (results[0], results[1], results[2])   // fp32, bf16, fp32 of bf16-rounded weights and input
        let u = 1.0 / 256, layers = 13.0
        let outputBound = layers * 2 * u
        let out = relativeError(b.probs, a.probs), evalOut = relativeError(b.evalProbs, a.evalProbs)
        XCTAssertLessThan(out, outputBound, "training-mode outputs")
        XCTAssertLessThan(evalOut, outputBound, "eval-mode (folded) outputs")
        XCTAssertEqual(b.loss, a.loss, accuracy: outputBound * abs(a.loss), "loss")
        XCTAssertGreaterThan(out, 1e-6, "the bf16 run rounds (it is not the fp32 path)")
        var worst = 0.0, worstRounded = 0.0
        for (name, g) in a.grads {
            // Biases before a batch norm have a true gradient of 0: only rounding noise is left.
            guard g.data.map({ abs($0) }).max()! > 1e-5 else { continue }
            let e = relativeError(b.grads[name]!, g), rounded = relativeError(p.grads[name]!, g)
            worst = max(worst, e)
            worstRounded = max(worstRounded, rounded)
            XCTAssertLessThan(e, 3 * rounded + 0.02, "gradient of \(name) (rounded-fp32 run: \(rounded))")
        }
        XCTAssertLessThan(worst, 1.5 * worstRounded, "worst parameter gradient")
        print("tiny U-Net bf16 vs fp32: outputs \(out), eval outputs \(evalOut), loss \(abs(b.loss - a.loss) / abs(a.loss)), worst parameter gradient \(worst) (rounded weights and input in fp32: \(worstRounded))")
    }

    /// bf16 is only kept where it can run: on im2col (or a CPU without AVX512_BF16) it is fp32.
    func testBF16FallsBackWhereItCannotRun() {
        XCTAssertEqual(NetContext(convolution: .im2col, precision: .bf16).precision, .fp32)
        var context = NetContext(precision: .bf16)
        XCTAssertEqual(context.precision, KernelConvolution.isSupported(.bf16) && context.convolution == .direct ? .bf16 : .fp32)
        context.convolution = .im2col
        XCTAssertEqual(context.precision, .fp32)
        XCTAssertEqual(NetContext().precision, .fp32, "fp32 is the default")
    }
}
