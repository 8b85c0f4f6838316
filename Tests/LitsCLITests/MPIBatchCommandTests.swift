import Foundation
import XCTest
import LiTSCore

/// `preprocess`, `eda`, `predict` and `evaluate` under `mpirun -n 2`: each rank takes its share
/// of the cases (rank 0 two of three, rank 1 one) and rank 0 writes the one manifest, report
/// or record; the folders equal a single process's, file for file.
final class MPIBatchCommandTests: XCTestCase {
    /// The work was split: rank 0 counted 2 cases and rank 1 one, nobody 3.
    func assertShared(_ r: CLIResult, label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout, file: file, line: line)
        XCTAssertTrue(r.stderr.contains("\(label) 2/2"), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains("\(label) 1/1"), r.stderr, file: file, line: line)
        XCTAssertFalse(r.stderr.contains("\(label) 1/3"), r.stderr, file: file, line: line)
    }

    func testBatchCommandsSplitAndGatherLikeOneProcess() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        for id in 1...3 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 16]) }

        let pre = ["--size", "32", "--slice-spacing", "4"]
        XCTAssertEqual(try runLits(["preprocess", data, "--out", work + "/pre1"] + pre).status, 0)
        let p2 = try runLitsMPI(ranks: 2, ["preprocess", data, "--out", work + "/pre2"] + pre)
        assertShared(p2, label: "preprocess")
        XCTAssertEqual(p2.stdout.components(separatedBy: "preprocessed 3 of 3 cases").count, 2, p2.stdout)
        assertSameFolders(work + "/pre1", work + "/pre2", "preprocess")

        XCTAssertEqual(try runLits(["eda", data, "--out", work + "/eda1", "--title", "T"]).status, 0)
        let e2 = try runLitsMPI(ranks: 2, ["eda", data, "--out", work + "/eda2", "--title", "T"])
        assertShared(e2, label: "eda")
        assertSameFolders(work + "/eda1", work + "/eda2", "eda")

        let train = try runLits(["train", work + "/pre1", "--out", work + "/run", "--patch", "16,16,8", "--filters", "4,8",
                                 "--volumes-per-batch", "1", "--patches-per-volume", "2", "--epochs", "1", "--batches-per-epoch", "2"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertEqual(try runLits(["predict", "--run", work + "/run", data, "--out", work + "/pred1"]).status, 0)
        let pr2 = try runLitsMPI(ranks: 2, ["predict", "--run", work + "/run", data, "--out", work + "/pred2"])
        assertShared(pr2, label: "predict")
        assertSameFolders(work + "/pred1", work + "/pred2", "predict")

        let ev1 = try runLits(["evaluate", "--pred", work + "/pred1", "--truth", data, "--out", work + "/ev1", "--title", "T"])
        XCTAssertEqual(ev1.status, 0, ev1.stderr)
        let ev2 = try runLitsMPI(ranks: 2, ["evaluate", "--pred", work + "/pred1", "--truth", data, "--out", work + "/ev2", "--title", "T"])
        assertShared(ev2, label: "evaluate")
        XCTAssertEqual(ev1.stdout.replacingOccurrences(of: "/ev1/", with: "/ev/"), ev2.stdout.replacingOccurrences(of: "/ev2/", with: "/ev/"))
        assertSameFolders(work + "/ev1", work + "/ev2", "evaluate")
    }
}
