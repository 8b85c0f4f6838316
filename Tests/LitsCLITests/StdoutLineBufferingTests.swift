import Foundation
import XCTest

/// `lits` writes stdout line by line into a pipe or file (a Slurm log, `| tee`): an epoch's line
/// arrives while the run is still training, not when it ends.
final class StdoutLineBufferingTests: XCTestCase {
    func testAnEpochLineArrivesWhileTheRunTrains() throws {
        let dir = try makeTempDir(self)
        try writePhantomCase(dir: dir + "/data", id: 1, shape: [32, 32, 12])
        try writePhantomCase(dir: dir + "/data", id: 2, shape: [32, 32, 12])
        let r = try runLits(["preprocess", dir + "/data", "--out", dir + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: litsExecutable())
        p.arguments = ["train", dir + "/pre", "--out", dir + "/run", "--patch", "16,16,8", "--filters", "4,8",
                       "--volumes-per-batch", "1", "--patches-per-volume", "1", "--epochs", "400", "--batches-per-epoch", "2"]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        p.environment = environment
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() }; p.waitUntilExit() }
        // Read until the first epoch line; with block buffering it would come only at exit.
        var text = ""
        while !text.contains("epoch 1:") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        XCTAssertTrue(text.contains("epoch 1:"), text)
        // A block-buffered pipe (4 KiB) would deliver its first bytes with some fifty epochs' lines.
        XCTAssertFalse(text.contains("epoch 20:"), "the first epoch's line came in a block with later ones: \(text)")
        XCTAssertTrue(p.isRunning, "the first epoch's line arrived only after the run ended")
    }
}
