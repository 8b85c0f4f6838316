import Foundation
import XCTest
import LiTSCore

/// Options and files read back are validated: a clear one-line error naming the file, never a
/// crash (issue 13 items 4, 5, 10, 11).
final class ValidationCommandTests: XCTestCase {
    /// A small trained run to edit.
    func trainedRun(_ work: String, data: String) throws -> String {
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        XCTAssertEqual(try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"]).status, 0)
        let r = try runLits(["train", work + "/pre", "--out", work + "/run", "--patch", "16,16,8", "--filters", "4,8",
                             "--volumes-per-batch", "1", "--patches-per-volume", "1", "--epochs", "1", "--batches-per-epoch", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return work + "/run"
    }

    func testBadTrainingOptionsAreRefusedBeforeAnythingRuns() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        for (extra, text) in [(["--dropout", "1.5"], "--dropout"), (["--lr", "nan"], "--lr"), (["--lr", "-1"], "--lr"),
                              (["--lr-factor", "2"], "--lr-factor"), (["--overlap", "nan"], "--overlap")] {
            let r = try runLits(["train", data, "--out", work + "/r"] + extra)
            XCTAssertEqual(r.status, 64, "\(extra): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(text), r.stderr)
            XCTAssertFalse(r.stderr.contains("EncodingError") || r.stderr.contains("Fatal"), r.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/r"))
    }

    func testAPatchTooLargeForMemoryIsRefusedUpFront() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        XCTAssertEqual(try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32"]).status, 0)
        let r = try runLits(["train", work + "/pre", "--out", work + "/r", "--patch", "4096,4096,4096"])
        XCTAssertEqual(r.status, 1)
        let line = errorLines(r).first ?? ""
        XCTAssertTrue(line.contains("needs about") && line.contains("more than this machine's") && line.contains("smaller --patch"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/r/config.json"))
    }

    /// A header whose slice spacing is 1e5 mm asks for millions of slices: refused, not aborted.
    func testAnImplausibleSliceSpacingIsRefusedNotAllocated() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, spacing: [1.2, 1.2, 1e5])
        let r = try runLits(["preprocess", data, "--out", work + "/pre"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("volume-1.nii.gz: the output grid 168x168x") ?? false, r.stderr)
        XCTAssertTrue(r.stderr.contains("slice spacing (100000 mm) is likely wrong"), r.stderr)
    }

    func testTrainingOnLabelsWithoutLiverIsRefused() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, labelOverride: { labels in
            for n in labels.voxels.indices { labels.voxels[n] = 0 }
        })
        // Past the QA gate (which calls an empty label an error), the run's own check.
        let r = try runLits(["train", data, "--out", work + "/r", "--patch", "16,16,8", "--filters", "4,8", "--size", "32", "--allow-qa-errors"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("no training case has liver or tumour voxels") ?? false, r.stderr)
    }

    func testAnEditedRunConfigIsRefusedByPredict() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        let run = try trainedRun(work, data: data)
        let original = try String(contentsOfFile: run + "/config.json", encoding: .utf8)
        for (from, to, text) in [("\"filters\" : [\n      4,\n      8\n    ]", "\"filters\" : [\n      0,\n      8\n    ]", "filters must be in 1...4096"),
                                 ("\"d\" : 8", "\"d\" : -5", "patch sides must be positive"),
                                 ("\"d\" : 8", "\"d\" : 0", "patch sides must be positive")] {
            XCTAssertTrue(original.contains(from), original)
            try original.replacingOccurrences(of: from, with: to).write(toFile: run + "/config.json", atomically: true, encoding: .utf8)
            let r = try runLits(["predict", "--run", run, data, "--out", work + "/pred-\(UUID().uuidString)"])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(errorLines(r).count, 1, r.stderr)
            XCTAssertTrue(errorLines(r).first?.contains("\(run)/config.json: ") ?? false, r.stderr)
            XCTAssertTrue(r.stderr.contains(text), r.stderr)
        }
    }

    /// NaN weights (a diverged run) would predict all background with exit 0.
    func testNaNWeightsAreRefused() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        let run = try trainedRun(work, data: data)
        // Rewrite best with a NaN weight and a matching checksum, as a diverged run would save it.
        let path = run + "/best.safetensors"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as! [String: Any]
        let weight = header.first { ($0.value as? [String: Any])?["dtype"] as? String == "F32" }!.value as! [String: Any]
        let start = 8 + headerLength + ((weight["data_offsets"] as! [Int])[0])
        let nan = Float.nan.bitPattern
        for b in 0..<4 { bytes[start + b] = UInt8((nan >> (8 * UInt32(b))) & 0xFF) }
        try FileManager.default.removeItem(atPath: path)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let jsonPath = run + "/best.json"
        var info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: jsonPath))) as! [String: Any]
        info["sha256"] = nil
        try FileManager.default.removeItem(atPath: jsonPath)
        try JSONSerialization.data(withJSONObject: info).write(to: URL(fileURLWithPath: jsonPath))
        let r = try runLits(["predict", "--run", run, "--checkpoint", "best", data, "--out", work + "/pred"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(errorLines(r).first?.contains("best.safetensors: holds NaN or infinite values") ?? false, r.stderr)
    }
}
