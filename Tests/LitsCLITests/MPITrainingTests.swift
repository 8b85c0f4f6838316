import Foundation
import XCTest
import LiTSCore

/// Data-parallel training on Open MPI: `mpirun -n 2 lits train` against one process.
final class MPITrainingTests: XCTestCase {
    /// Three phantom cases, preprocessed to 32x32x16 (`lits preprocess`).
    func preprocessed() throws -> String {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        for id in 1...3 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 16]) }
        let r = try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return work + "/pre"
    }

    func trainArgs(_ norm: String, epochs: Int = 2, batches: Int = 3) -> [String] {
        // "instance+augment": instance norm with augmentation on, each rank augmenting its share.
        let augmented = norm.hasSuffix("+augment")
        return ["--patch", "16,16,8", "--filters", "4,8", "--volumes-per-batch", "2", "--patches-per-volume", "2",
                "--epochs", String(epochs), "--batches-per-epoch", String(batches),
                "--norm", augmented ? String(norm.dropLast("+augment".count)) : norm, "--threads", "1",
                "--recipe", "baseline", "--sampling", "liver-biased"]  // the settings these tolerances were set with
            + (augmented ? ["--augment", "default"] : [])
    }

    /// With instance norm or synchronised batch norm, 2 ranks with 2 patches each reach the
    /// weights one process reaches with the 4-patch batch (up to float summation order); plain
    /// batch norm (per-rank statistics) does not, which shows the comparison can fail.
    func testTwoRanksTrainLikeOneProcess() throws {
        let pre = try preprocessed(), work = try makeTempDir(self)
        var differences: [String: Float] = [:]
        for norm in ["instance", "instance+augment", "sync-batch", "batch"] {
            let one = work + "/one-\(norm)", two = work + "/two-\(norm)"
            let r1 = try runLits(["train", pre, "--out", one] + trainArgs(norm))
            XCTAssertEqual(r1.status, 0, r1.stderr)
            let r2 = try runLitsMPI(ranks: 2, ["train", pre, "--out", two] + trainArgs(norm))
            XCTAssertEqual(r2.status, 0, r2.stderr + r2.stdout)
            // Rank 0 alone prints and writes: one summary line, one history.
            XCTAssertEqual(r2.stdout.components(separatedBy: "run: \(two)/index.md").count, 2, r2.stdout)
            XCTAssertTrue(r2.stdout.contains("2 ranks:"), r2.stdout)
            let h1 = try String(contentsOfFile: one + "/history.csv", encoding: .utf8)
            let h2 = try String(contentsOfFile: two + "/history.csv", encoding: .utf8)
            // Losses, Dice and sampler shares agree, up to the validation's small drift through
            // the running means (see largestDifference); the seconds column differs.
            func values(_ h: String) -> [[Double]] {
                let lines = h.split(separator: "\n")
                let seconds = lines[0].split(separator: ",").firstIndex(of: "seconds")
                return lines.dropFirst().map { line in
                    line.split(separator: ",").enumerated().filter { $0.offset != seconds }.map { Double($0.element) ?? .nan }
                }
            }
            let (v1, v2) = (values(h1), values(h2))
            XCTAssertEqual(v1.count, 2)
            XCTAssertEqual(v1.map(\.count), v2.map(\.count))
            if norm != "batch" {
                for (a, b) in zip(v1.joined(), v2.joined()) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(a)), "\(norm)\n\(h1)\n\(h2)") }
            }
            let d = try largestDifference(one + "/last.safetensors", two + "/last.safetensors")
            XCTAssertGreaterThan(d.compared, 10)
            differences[norm] = d.value
            print("\(norm): largest weight difference 2 ranks vs 1 process \(d.value) (\(d.name))")
        }
        XCTAssertLessThan(differences["instance"]!, 1e-6)
        XCTAssertLessThan(differences["instance+augment"]!, 1e-6)
        XCTAssertLessThan(differences["sync-batch"]!, 1e-6)
        XCTAssertGreaterThan(differences["batch"]!, 1e-4)
    }

    /// A batch that does not split over the ranks is refused up front, with one error line.
    func testBatchThatDoesNotSplitIsRefused() throws {
        let pre = try preprocessed(), work = try makeTempDir(self)
        let r = try runLitsMPI(ranks: 2, ["train", pre, "--out", work + "/run", "--patch", "16,16,8", "--filters", "4,8",
                                          "--volumes-per-batch", "1", "--patches-per-volume", "3", "--epochs", "1", "--batches-per-epoch", "1"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("lits: error: the global batch of 3 patches"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/run/config.json"))
    }

    /// SIGTERM to rank 1 alone (Slurm signals every task, a user may signal one) stops both
    /// ranks after the same batch (one that went on would wait forever in its next all-reduce);
    /// rank 0 saves once; `--resume` in ONE process then finishes the run with the weights an
    /// uninterrupted single-process run has.
    ///
    /// All three runs take the im2col path: 120 steps of 2 ranks against one process amplify the
    /// different order of the gradient sums until a ReLU or max-pool choice flips. On the AMD VM
    /// (2026-12-03) the AVX2 direct path flipped between batch 20 (6e-8 apart) and 60 (5e-4),
    /// im2col did not (1.2e-7 after 120); this test is about the interrupt and the resume.
    func testSignalToOneRankStopsAllAndResumeIsExact() throws {
        let pre = try preprocessed(), work = try makeTempDir(self)
        let args = trainArgs("instance", epochs: 2, batches: 60)
        let im2col = ["LITSNET_IM2COL": "1"]
        let reference = try runLits(["train", pre, "--out", work + "/reference"] + args, environment: im2col)
        XCTAssertEqual(reference.status, 0, reference.stderr)

        let run = work + "/run"
        let p = try mpiProcess(ranks: 2, ["train", pre, "--out", run] + args, environment: im2col)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Signal in epoch 2, once epoch 1 is saved.
        let deadline = Date().addingTimeInterval(300)
        while !FileManager.default.fileExists(atPath: run + "/state.json") && Date() < deadline && p.isRunning { usleep(50_000) }
        let ranks = rankProcesses(of: p)
        XCTAssertEqual(ranks.count, 2, "rank processes of mpirun: \(ranks)")
        if let rank1 = ranks[1] { kill(rank1, SIGTERM) }
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertNotEqual(p.terminationStatus, 0, stderr)
        XCTAssertEqual(stderr.components(separatedBy: "interrupted: saved").count, 2, stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/interrupted.safetensors"))
        XCTAssertFalse(stdout.contains("epoch 2:"), "the run finished before the signal arrived: " + stdout)
        let history = try String(contentsOfFile: run + "/history.csv", encoding: .utf8)
        XCTAssertEqual(history.split(separator: "\n").count, 2, history)

        let resumed = try runLits(["train", "--resume", run], environment: im2col)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let d = try largestDifference(work + "/reference/last.safetensors", run + "/last.safetensors")
        print("resumed in one process after a 2-rank interrupt: largest difference \(d.value) (\(d.name))")
        XCTAssertLessThan(d.value, 1e-5)
    }
}
