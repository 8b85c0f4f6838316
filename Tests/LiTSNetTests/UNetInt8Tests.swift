import Foundation
import XCTest
@testable import LiTSNet

/// int8 inference on the tiny U-Net of UNetTests' PyTorch fixture: the same weights and input in
/// fp32 and in int8 (kernel-3 convolutions in int8, everything else fp32), in eval mode (batch
/// norm folded into the convolutions, Conv3d.forwardFolding) and in training mode (batch
/// statistics; Conv3d.forward). One int8 convolution is within about 1/2 step of each operand's
/// grid, which Int8ConvolutionTests measures at under 0.6% of its sum of magnitudes; the tiny
/// U-Net has 13 kernel-3 convolutions on its longest path, so the softmax outputs (probabilities
/// in 0 ... 1) are held to 13 * 0.6%, about 0.08, and their mean error to a tenth of that.
extension UNetTests {
    func testTinyUNetInInt8MatchesFP32() throws {
        try XCTSkipUnless(KernelConvolution.isSupported(.int8), "this CPU has no AVX512_VNNI")
        let (t, json) = try fixture()
        let c = json["config"] as! [String: Any]
        var config = UNetConfig()
        config.filters = c["filters"] as! [Int]
        config.residual = c["residual"] as! Bool
        var outputs: [(train: Tensor, eval: Tensor)] = []
        for precision in [ConvolutionPrecision.fp32, .int8] {
            let model = UNet3D(config, context: NetContext(precision: precision))
            XCTAssertEqual(model.context.precision, precision)
            var state: [String: Tensor] = [:]
            for (k, v) in t where k.hasPrefix("init.") { state[String(k.dropFirst(5))] = v }
            for (name, b) in model.namedBuffers where name.hasSuffix("num_batches_tracked") { state[name] = b.value }
            try model.load(stateDict: state)
            model.setTraining(true)
            let train = model.forward(t["input"]!)
            model.setTraining(false)
            outputs.append((train, model.forward(t["input"]!)))
        }
        let bound = 13 * 0.006
        for (name, a, b) in [("eval-mode (folded)", outputs[0].eval, outputs[1].eval), ("training-mode", outputs[0].train, outputs[1].train)] {
            let diffs = zip(a.data, b.data).map { abs(Double($0) - Double($1)) }
            let worst = diffs.max()!, mean = diffs.reduce(0, +) / Double(diffs.count)
            print("tiny U-Net int8 vs fp32, \(name) outputs: worst \(worst), mean \(mean)")
            XCTAssertLessThan(worst, bound, "\(name) outputs")
            XCTAssertLessThan(mean, bound / 10, "\(name) outputs, mean")
            XCTAssertGreaterThan(worst, 1e-6, "the int8 run rounds (it is not the fp32 path)")
        }
    }
}
