import Foundation
import XCTest
import LiTSNet

/// predictions.json says what each run's convolutions multiplied in: the run's own precision by
/// default, `--precision`'s where given, and fp32 where the CPU lacks the one asked for (so a
/// folder of predictions made in int8 can be told from one made in fp32).
final class PredictionPrecisionRecordTests: XCTestCase {
    func testPredictionsJSONRecordsThePrecisionUsed() throws {
        let work = try makeTempDir(self)
        let data = work + "/data"
        let run = try trainTinyRun(data: data, work: work)
        for (extra, expected) in [([String](), "fp32"),
                                  (["--precision", "int8"], KernelConvolution.isSupported(.int8) ? "int8" : "fp32")] {
            let out = "\(work)/pred-\(extra.last ?? "default")"
            let r = try runLits(["predict", "--run", run, data, "--out", out] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let record = try JSONDecoder().decode([String: [String]].self,
                                                  from: Data(contentsOf: URL(fileURLWithPath: "\(out)/predictions.json")))
            XCTAssertEqual(record["precision"], [expected], "\(extra)")
            XCTAssertEqual(record["run"]?.count, 1)
        }
    }
}
