import XCTest

/// `lits bench` runs the engine's benchmarks; the timings are not checked (they belong in
/// benchmarks/results.md), only that each runs to the end and says which convolution it used.
final class BenchCommandTests: XCTestCase {
    func testTrainStepAndConvolutionBenchmarksRun() throws {
        let step = try runLits(["bench", "train-step", "--repeat", "1", "--batch", "1", "--patch", "8,16,16", "--filters", "4,8"])
        XCTAssertEqual(step.status, 0, step.stderr)
        XCTAssertTrue(step.stdout.contains("train_step min_s="), step.stdout)
        XCTAssertTrue(step.stdout.contains("infer_forward min_s="), step.stdout)
        XCTAssertNotNil(step.stdout.range(of: #"conv=(direct-avx512|direct-avx2|im2col-openblas)"#, options: .regularExpression), step.stdout)
        // The backward benchmark runs a forward before each timed backward (layers free what
        // forward saved once backward used it).
        let conv = try runLits(["bench", "conv", "--repeat", "2"])
        XCTAssertEqual(conv.status, 0, conv.stderr)
        XCTAssertTrue(conv.stdout.contains("conv3d_backward min_s="), conv.stdout)
        XCTAssertTrue(conv.stdout.contains("forward_gflops="), conv.stdout)
    }

    func testAugmentationBenchmarkRuns() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        XCTAssertEqual(try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"]).status, 0)
        let r = try runLits(["bench", "augment", work + "/pre", "--repeat", "1", "--patches", "4", "--patch", "16,16,8"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for name in ["cut_patches min_s=", "augment_patches min_s=", "train_step_demo min_s=", "throughput_drop="] {
            XCTAssertTrue(r.stdout.contains(name), r.stdout)
        }
    }
}
