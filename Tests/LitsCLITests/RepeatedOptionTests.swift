import Foundation
import XCTest

/// An option that takes one value, given twice, is refused before anything runs (ArgumentParser
/// kept the last: `predict --run A --run B` predicted with B alone and exited 0; `--run` is now
/// repeatable, an ensemble). Options declared repeatable keep working.
final class RepeatedOptionTests: XCTestCase {
    func testOneValueOptionsGivenTwiceAreRefused() throws {
        let dir = try makeTempDir(self)
        for (args, name) in [
            (["predict", "--run", "\(dir)/A", "--checkpoint", "best", "--checkpoint", "last", dir, "--out", "\(dir)/p"], "--checkpoint"),
            (["predict", "run", "--run", "\(dir)/A", dir, "--out", "\(dir)/p", "-o", "\(dir)/q"], "--out"),
            (["evaluate", "--pred", "\(dir)/A", "--pred=\(dir)/B", "--truth", dir, "--out", "\(dir)/e"], "--pred"),
            (["train", dir, "--out", "\(dir)/r", "--lr", "0.1", "--lr", "0.01"], "--lr"),
            (["info", dir, "--labels", "liver=1", "--labels", "liver=5"], "--labels"),
        ] {
            let r = try runLits(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertEqual(errorLines(r).count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("lits: error: \(name) is given 2 times"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/p"), "nothing ran")
        }
    }

    func testRepeatableOptionsStillWork() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        let r = try runLits(["preview", data, "--out", "\(work)/v", "--window", "liver", "--window", "abdomen", "--method", "window", "--method", "clahe"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let info = try runLits(["info", data, "--threads", "1"])
        XCTAssertEqual(info.status, 0, info.stderr)
    }
}
