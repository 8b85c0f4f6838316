import Foundation
import XCTest

/// `lits` writes stdout line by line into a file (a Slurm or nohup log): an epoch's line is in
/// the file while the run is still training, not only when it ends.
final class StdoutLineBufferingTests: XCTestCase {
    func testAnEpochLineIsInTheLogWhileTheRunTrains() throws {
        let dir = try makeTempDir(self)
        try writePhantomCase(dir: dir + "/data", id: 1, shape: [32, 32, 12])
        try writePhantomCase(dir: dir + "/data", id: 2, shape: [32, 32, 12])
        let r = try runLits(["preprocess", dir + "/data", "--out", dir + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)

        let log = dir + "/train.log"
        XCTAssertTrue(FileManager.default.createFile(atPath: log, contents: nil))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: litsExecutable())
        p.arguments = ["train", dir + "/pre", "--out", dir + "/run", "--patch", "16,16,8", "--filters", "4,8",
                       "--volumes-per-batch", "1", "--patches-per-volume", "1", "--epochs", "400", "--batches-per-epoch", "2"]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        p.environment = environment
        p.standardOutput = try XCTUnwrap(FileHandle(forWritingAtPath: log))
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() }; p.waitUntilExit() }
        // Poll the log until the first epoch's line is there; block-buffered it would appear
        // only with a 4 KiB block of some fifty epochs' lines, or at exit.
        var text = ""
        for _ in 0..<1200 where !text.contains("epoch 1:") && p.isRunning {
            usleep(50_000)
            text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
        XCTAssertTrue(text.contains("epoch 1:"), text)
        XCTAssertFalse(text.contains("epoch 20:"), "the first epoch's line came in a block with later ones: \(text)")
        XCTAssertTrue(p.isRunning, "the first epoch's line was written only when the run ended")
    }
}
