import Foundation
import XCTest

/// A run that cannot waste a day: `--resume` refuses options that would change the run,
/// `--epochs N` extends it bit for bit, a finished run named by `--out` is pointed at
/// `--resume RUN --epochs N`, and a split naming cases DATA lacks stops before anything runs.
final class ResumeChecksTests: XCTestCase {
    static let small = ["--recipe", "baseline", "--patch", "16,16,8", "--filters", "4,8", "--volumes-per-batch", "1",
                        "--patches-per-volume", "1", "--batches-per-epoch", "2", "--threads", "1"]

    func preprocessed(_ work: String) throws -> String {
        for id in 1...3 { try writePhantomCase(dir: work + "/data", id: id, shape: [32, 32, 12]) }
        let r = try runLits(["preprocess", work + "/data", "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return work + "/pre"
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// Trained 1 epoch, then `--resume --epochs 3` (and again once finished): the weights, the
    /// optimizer's plateau schedule and the history equal those of a run trained to 3 from the start.
    func testResumeWithEpochsExtendsBitForBit() throws {
        let work = try makeTempDir(self), pre = try preprocessed(work)
        var r = try runLits(["train", pre, "--out", work + "/straight", "--epochs", "3"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["train", pre, "--out", work + "/extended", "--epochs", "1"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["train", "--resume", work + "/extended", "--epochs", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["train", "--resume", work + "/extended", "--epochs", "3"])   // a finished run, extended
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try bytes(work + "/extended/last.safetensors"), try bytes(work + "/straight/last.safetensors"))
        XCTAssertEqual(try bytes(work + "/extended/best.safetensors"), try bytes(work + "/straight/best.safetensors"))
        let history = { (run: String) in try String(contentsOfFile: run + "/history.csv", encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast(7).joined(separator: ",") } }
        XCTAssertEqual(try history(work + "/extended").count, 4)
        // Every column but the seconds (and the placement shares after them) is the same.
        XCTAssertEqual(try history(work + "/extended").map { $0.components(separatedBy: ",").prefix(12) },
                       try history(work + "/straight").map { $0.components(separatedBy: ",").prefix(12) })
        let config = try JSONSerialization.jsonObject(with: bytes(work + "/extended/config.json")) as? [String: Any]
        XCTAssertEqual(config?["epochs"] as? Int, 3)

        // Fewer epochs than it has finished: refused.
        r = try runLits(["train", "--resume", work + "/extended", "--epochs", "2"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: --epochs 2: the run \(work)/extended has already finished 3 epochs"])
    }

    func testResumeRefusesEveryOptionThatWouldChangeTheRun() throws {
        let work = try makeTempDir(self), pre = try preprocessed(work), run = work + "/run"
        var r = try runLits(["train", pre, "--out", run, "--epochs", "1"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        let config = try bytes(run + "/config.json"), last = try bytes(run + "/last.safetensors")
        for (extra, shown) in [(["--lr", "0.1"], "--lr 0.1"), (["--patch", "8,8,8"], "--patch 8,8,8"),
                               (["--recipe", "default"], "--recipe default"), (["--sampling", "uniform"], "--sampling uniform"),
                               (["--aug", "mirror=0.5"], "--aug mirror=0.5"), (["--seed", "3"], "--seed 3"),
                               (["--split", work + "/split.json"], "--split \(work)/split.json"), (["--residual"], "--residual"),
                               (["--labels", "liver=1,tumor=2"], "--labels liver=1,tumor=2"), (["--no-crop-body"], "--no-crop-body"),
                               (["--spacing", "2"], "--spacing 2.0,2.0,2.0"),
                               (["--epochs", "6", "--lr", "0.1"], "--lr 0.1")] {
            r = try runLits(["train", "--resume", run] + extra)
            XCTAssertEqual(r.status, 1, "\(extra)")
            XCTAssertEqual(errorLines(r), ["lits: error: \(shown): a resumed run keeps its options (\(run)/config.json); only --epochs N may be given (to extend it), or start a new run with --out"], "\(extra)")
        }
        XCTAssertEqual(try bytes(run + "/config.json"), config, "a refused resume changes nothing")
        XCTAssertEqual(try bytes(run + "/last.safetensors"), last)
        // DATA with --resume is refused too (the run has its own data).
        r = try runLits(["train", pre, "--resume", run])
        XCTAssertEqual(r.status, 64, r.stderr)
    }

    /// The poly schedule decays to the run's length: a longer run is another run.
    func testPolyRunIsNotExtended() throws {
        let work = try makeTempDir(self), pre = try preprocessed(work), run = work + "/run"
        var r = try runLits(["train", pre, "--out", run, "--epochs", "1", "--lr-schedule", "poly"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["train", "--resume", run, "--epochs", "4"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: --epochs 4: the poly schedule of \(run) decays to its 1 epochs, so 4 would not be the run trained to 4 from the start; start a new run with --out"])
    }

    func testOutOnAFinishedRunAdvisesResumeWithEpochs() throws {
        let work = try makeTempDir(self), pre = try preprocessed(work), run = work + "/run"
        var r = try runLits(["train", pre, "--out", run, "--epochs", "1"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["train", pre, "--out", run, "--epochs", "8"] + Self.small)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: \(run): holds a training run with finished epochs; continue it with `lits train --resume \(run) --epochs 8` (--epochs N extends a finished run), or choose another folder"])
        // And the advice works.
        r = try runLits(["train", "--resume", run, "--epochs", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// A split naming cases DATA does not have: one line with the file and the ids, before anything
    /// is preprocessed (raw DATA: no preprocessed copy, no run folder left).
    func testSplitNamingMissingCasesIsRefusedBeforeAnythingRuns() throws {
        let work = try makeTempDir(self), data = work + "/data"
        for id in 1...2 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 12]) }
        try Data(#"{"train": ["1", "7"], "validation": ["2", "9"], "test": []}"#.utf8).write(to: URL(fileURLWithPath: work + "/split.json"))
        let t0 = Date()
        var r = try runLits(["train", data, "--out", work + "/run", "--split", work + "/split.json", "--size", "32", "--slice-spacing", "4"] + Self.small)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: \(work)/split.json: names cases 7, 9 that \(data) does not have (its cases: 1, 2)"])
        XCTAssertLessThan(Date().timeIntervalSince(t0), 10, "refused at the start")
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/run"), "nothing written")
        // The same against a preprocessed folder.
        r = try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["train", work + "/pre", "--out", work + "/run", "--split", work + "/split.json"] + Self.small)
        XCTAssertEqual(errorLines(r), ["lits: error: \(work)/split.json: names cases 7, 9 that \(work)/pre does not have (its cases: 1, 2)"])
    }

    /// A patch the memory cannot hold is refused before a raw dataset is preprocessed.
    func testAPatchTooLargeIsRefusedBeforePreprocessing() throws {
        let work = try makeTempDir(self), data = work + "/data"
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        let r = try runLits(["train", data, "--out", work + "/run", "--patch", "4096,4096,4096", "--size", "32", "--allow-qa-errors"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("training 2 patches of 4096x4096x4096") ?? false, r.stderr)
        XCTAssertFalse(r.stderr.contains("preprocess 1/1"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/run"))
    }

    /// Progress lines during validation, and the whole run's ETA in the batch line.
    func testProgressShowsValidationAndTheRunETA() throws {
        let work = try makeTempDir(self), pre = try preprocessed(work)
        let r = try runLits(["train", pre, "--out", work + "/run", "--epochs", "2"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("epoch 1/2 batch 1/2 loss"), r.stderr)
        XCTAssertTrue(r.stderr.contains(" (run "), r.stderr)
        XCTAssertTrue(r.stderr.contains("epoch 1/2 validating case 1/1"), r.stderr)
    }
}
