import Foundation
import XCTest
import LiTSCore

/// What a new user meets first: `--version`, the help of the commands whose `run` is the
/// default, option errors that say what is wrong, and no folder left behind by a failed run.
final class FirstHourTests: XCTestCase {
    func testVersionIsTheOneTheOutputFoldersRecord() throws {
        let result = try runLits(["--version"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), LiTSKitVersion.current)
    }

    /// `lits X --help` shows what `lits X ARGS` runs (the run subcommand's options), then merge.
    func testHelpOfTheDefaultRunShowsItsOptions() throws {
        let expected: [(command: String, options: [String])] = [
            ("predict", ["--checkpoint", "--run", "--tta", "--out"]),
            ("evaluate", ["--protocol", "--pred", "--truth", "--missing"]),
            ("preprocess", ["--window", "--spacing", "--size", "--shard"]),
            ("eda", ["--connectivity", "--title", "--shard"]),
        ]
        for (command, options) in expected {
            for help in [[command, "--help"], ["help", command]] {
                let result = try runLits(help)
                XCTAssertEqual(result.status, 0, result.stderr)
                let text = result.stdout
                for option in options {
                    XCTAssertTrue(text.contains(option), "`lits \(help.joined(separator: " "))` does not show \(option)")
                }
                // The run's usage (`lits eda <data> ...`), then the parent's (`lits eda <subcommand>`).
                XCTAssertEqual(text.components(separatedBy: "USAGE: lits \(command) ").count, 3, "`lits \(command) --help` lacks the run's usage")
                // The subcommands, merge among them, come after the run's options.
                let merge = try XCTUnwrap(text.range(of: "\n  merge "), "`lits \(command) --help` does not name merge")
                let firstOption = try XCTUnwrap(text.range(of: options[0]))
                XCTAssertLessThan(firstOption.lowerBound, merge.lowerBound)
            }
        }
        // Each option line keeps its column (the run's help is not re-wrapped into the parent's).
        let predict = try runLits(["predict", "--help"]).stdout
        for line in predict.split(separator: "\n") where !line.isEmpty && line.count < 6 {
            XCTFail("a stray short line in `lits predict --help`: \(line)")
        }
    }

    func testOptionErrorsSayWhatIsWrong() throws {
        let dir = try makeTempDir(self)
        let cases: [(args: [String], line: String)] = [
            (["preprocess", dir, "--out", "\(dir)/o", "--window", "400,-100"], "Error: --window 400,-100: low must be below high"),
            (["preprocess", dir, "--out", "\(dir)/o", "--window", "soft"], "Error: --window soft: expected a preset (liver, abdomen, soft-tissue, bone) or two numbers L,H in HU"),
            (["preprocess", dir, "--out", "\(dir)/o", "--spacing", "1,0,2"], "Error: --spacing 1,0,2: expected S or X,Y,Z in mm, each a positive number"),
            (["preprocess", dir, "--out", "\(dir)/o", "--size", "0"], "Error: --size 0: expected N or NXxNY (W x H): positive integers, e.g. 168 or 192x160"),
            (["train", dir, "--out", "\(dir)/r", "--patch", "96,96"], "Error: --patch 96,96: expected W,H,D: three positive integers (width, height, slices), e.g. 168,168,16"),
            (["train", dir, "--out", "\(dir)/r", "--filters", "16"], "Error: --filters 16: expected two or more positive integers, one per U-Net level, e.g. 16,32,64,128"),
            (["train", dir, "--out", "\(dir)/r", "--aug", "mirror=0.5:1,2"], "Error: --aug mirror=0.5:1,2: mirror takes a probability only, no range"),
            (["train", dir, "--out", "\(dir)/r", "--aug", "rotation=2"], "Error: --aug rotation=2: the probability P must be a number from 0 to 1"),
            (["preview", dir, "--out", "\(dir)/p", "--slices", "4,-1"], "Error: --slices 4,-1: expected auto or slice indices k (from 0), e.g. 40,52,60"),
        ]
        for (args, line) in cases {
            let result = try runLits(args)
            XCTAssertEqual(result.status, 64, "\(args): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.first, line, args.joined(separator: " "))
            XCTAssertTrue(lines.contains { $0.hasPrefix("Usage: lits \(args[0])") }, result.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/o"))
    }

    /// A run that fails before writing any output removes the folder it created; a folder that
    /// existed before is left as it was (empty, no marker or lock of ours).
    func testAFailedRunLeavesNoFolderBehind() throws {
        let dir = try makeTempDir(self)
        let data = "\(dir)/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try Data("not a NIfTI file".utf8).write(to: URL(fileURLWithPath: "\(data)/volume-1.nii"))
        try Data("not a NIfTI file".utf8).write(to: URL(fileURLWithPath: "\(data)/segmentation-1.nii"))
        for (n, args) in [["preprocess", data, "--out"], ["eda", data, "--out"], ["preview", data, "--out"]].enumerated() {
            let out = "\(dir)/new-\(n)/out"
            let result = try runLits(args + [out])
            XCTAssertNotEqual(result.status, 0, args[0])
            XCTAssertTrue(result.stderr.contains("volume-1.nii"), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(args[0]) left \(out)")
        }
        let existing = "\(dir)/existing"
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: true)
        let result = try runLits(["preprocess", data, "--out", existing])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: existing), [])
    }
}
