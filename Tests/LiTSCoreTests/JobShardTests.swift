import Foundation
import XCTest
@testable import LiTSCore

/// `--shard i/n`, `--shard none`, and a Slurm array task's shard from its environment.
final class JobShardTests: XCTestCase {
    func testShardParsesAndSelectsEveryNth() {
        XCTAssertEqual(JobShard(parsing: "2/3")?.text, "2/3")
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "1/2/3", "", "/3", "1/", "-1/3", " 1/3"] {
            XCTAssertNil(JobShard(parsing: bad), bad)
        }
        let shard = JobShard(parsing: "2/3")!
        XCTAssertEqual(shard.select(Array(0..<8)), [1, 4, 7])
        XCTAssertEqual((0..<3).map(shard.position(ofItem:)), [1, 4, 7], "position inverts select")
        XCTAssertEqual(shard.selectedCount(of: 8), 3)
        XCTAssertEqual(JobShard(parsing: "3/3")!.selectedCount(of: 2), 0)
        XCTAssertEqual(ShardChoice(parsing: "none"), .whole)
        XCTAssertEqual(ShardChoice(parsing: "1/2"), .part(JobShard(index: 1, count: 2)!))
        XCTAssertNil(ShardChoice(parsing: "all"))
    }

    /// `sbatch --array=MIN-MAX:STEP` as Slurm sets it in the task with index `id`.
    func slurm(id: String, min: String, max: String, step: String = "1", count: String) -> [String: String] {
        ["SLURM_ARRAY_TASK_ID": id, "SLURM_ARRAY_TASK_MIN": min, "SLURM_ARRAY_TASK_MAX": max,
         "SLURM_ARRAY_TASK_STEP": step, "SLURM_ARRAY_TASK_COUNT": count, "SLURM_JOB_ID": "1234"]
    }

    func testSlurmArrayTaskIsAShard() throws {
        XCTAssertNil(try SlurmArray.shard(in: [:]), "no job array")
        XCTAssertNil(try SlurmArray.shard(in: ["SLURM_JOB_ID": "1234", "SLURM_NTASKS": "4"]), "a job that is no array")
        // --array=0-15: task 0 is shard 1/16, task 15 shard 16/16.
        XCTAssertEqual(try SlurmArray.shard(in: slurm(id: "0", min: "0", max: "15", count: "16"))?.text, "1/16")
        XCTAssertEqual(try SlurmArray.shard(in: slurm(id: "15", min: "0", max: "15", count: "16"))?.text, "16/16")
        // --array=1-7:2 (tasks 1, 3, 5, 7): task 5 is the third.
        XCTAssertEqual(try SlurmArray.shard(in: slurm(id: "5", min: "1", max: "7", step: "2", count: "4"))?.text, "3/4")
        // --array=3 (one task): the whole set as one part.
        XCTAssertEqual(try SlurmArray.shard(in: slurm(id: "3", min: "3", max: "3", count: "1"))?.text, "1/1")
        // Every task of --array=10-40:10 gets a distinct part, together all of them.
        let parts = try stride(from: 10, through: 40, by: 10).map {
            try SlurmArray.shard(in: slurm(id: String($0), min: "10", max: "40", step: "10", count: "4"))!.index
        }
        XCTAssertEqual(parts, [1, 2, 3, 4])
    }

    func testInconsistentSlurmVariablesAreRefusedByName() {
        func message(_ env: [String: String]) -> String {
            do { _ = try SlurmArray.shard(in: env); return "no error" } catch { return "\(error)" }
        }
        var env = slurm(id: "2", min: "0", max: "3", count: "4")
        env["SLURM_ARRAY_TASK_COUNT"] = nil
        XCTAssertEqual(message(env), "Slurm job array: SLURM_ARRAY_TASK_COUNT is not set, though SLURM_ARRAY_TASK_ID is; give --shard i/n (or --shard none for every case)")
        XCTAssertTrue(message(slurm(id: "x", min: "0", max: "3", count: "4")).contains("SLURM_ARRAY_TASK_ID='x' is not a whole number"))
        XCTAssertTrue(message(slurm(id: "2", min: "0", max: "3", step: "0", count: "4")).contains("SLURM_ARRAY_TASK_STEP=0 must be at least 1"))
        XCTAssertTrue(message(slurm(id: "5", min: "0", max: "3", count: "4")).contains("SLURM_ARRAY_TASK_ID=5 is not an index of the array 0-3:1"))
        XCTAssertTrue(message(slurm(id: "2", min: "1", max: "7", step: "2", count: "4")).contains("SLURM_ARRAY_TASK_ID=2 is not an index"))
        XCTAssertTrue(message(slurm(id: "2", min: "4", max: "3", count: "4")).contains("SLURM_ARRAY_TASK_MIN=4 and SLURM_ARRAY_TASK_MAX=3"))
        // --array=1,2,7 has no even step: its COUNT cannot match.
        XCTAssertTrue(message(slurm(id: "2", min: "1", max: "7", count: "3")).contains("SLURM_ARRAY_TASK_COUNT=3 does not match the array 1-7:1 (7 evenly stepped task(s))"))
        XCTAssertTrue(message(slurm(id: "1", min: "1", max: "6", step: "2", count: "3")).contains("SLURM_ARRAY_TASK_COUNT=3 does not match"))
    }

    func testExplicitShardWinsOverTheArray() throws {
        let env = slurm(id: "1", min: "0", max: "3", count: "4")
        XCTAssertEqual(try ShardChoice.resolve(nil, environment: env)?.text, "2/4")
        XCTAssertEqual(try ShardChoice.resolve(.part(JobShard(index: 3, count: 8)!), environment: env)?.text, "3/8")
        XCTAssertNil(try ShardChoice.resolve(.whole, environment: env))
        XCTAssertNil(try ShardChoice.resolve(nil, environment: [:]))
        // An explicit --shard needs no consistent array (a rerun of one task of a larger array).
        var broken = env
        broken["SLURM_ARRAY_TASK_COUNT"] = "9"
        XCTAssertThrowsError(try ShardChoice.resolve(nil, environment: broken))
        XCTAssertEqual(try ShardChoice.resolve(.part(JobShard(index: 2, count: 4)!), environment: broken)?.text, "2/4")
    }

    func testMissingOrRepeatedShardsAreAnErrorOrAWarning() throws {
        func part(_ path: String, _ text: String) -> (path: String, shard: JobShard) { (path, JobShard(parsing: text)!) }
        let shards = [part("a", "1/3"), part("b", "3/3")]
        XCTAssertThrowsError(try ShardFolder.checkComplete(shards, partial: false)) { error in
            XCTAssertEqual("\(error)", "a: shard(s) 2/3 missing: their cases would be left out (give every part, or --partial)")
        }
        XCTAssertEqual(try ShardFolder.checkComplete(shards, partial: true), ["shard(s) 2/3 missing; their cases are left out"])
        XCTAssertThrowsError(try ShardFolder.checkComplete([part("a", "1/2"), part("b", "2/3")], partial: true)) { error in
            XCTAssertEqual("\(error)", "b: shard 2/3 does not belong to the same split as a (shard 1/2)")
        }
        XCTAssertThrowsError(try ShardFolder.checkComplete([part("a", "1/2"), part("b", "1/2")], partial: true)) { error in
            XCTAssertEqual("\(error)", "b: shard 1/2 is also given as a")
        }
        XCTAssertEqual(try ShardFolder.checkComplete([part("a", "2/2"), part("b", "1/2")], partial: false), [])
        XCTAssertEqual(try ShardFolder.checkComplete([], partial: false), [])
    }

    /// The parts' cases go back in the order one run takes them, whichever order the parts come in.
    func testPartsAreReadBackInTheSplitsOrder() throws {
        let dir = NSTemporaryDirectory() + "litskit-shards-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let ids = ["1", "2", "10", "11", "3"]
        let source = ShardSource(inputs: [], cases: [])
        for i in 1...2 {
            let shard = JobShard(index: i, count: 2)!
            try FileManager.default.createDirectory(atPath: "\(dir)/p\(i)", withIntermediateDirectories: true)
            try ShardFolder.write(ShardRecord(command: "lits x", shard: shard, total: ids.count, cases: shard.select(ids),
                                              failed: i == 2 ? ["2": "bad"] : [:], settings: [0.5], source: source, files: []), to: "\(dir)/p\(i)")
        }
        let parts = try ShardFolder.read(["\(dir)/p2", "\(dir)/p1"], command: "lits x", partial: false, as: [Double].self)
        XCTAssertEqual(parts.caseOrder.map(\.id), ids)
        XCTAssertEqual(parts.caseOrder.map(\.part), ["p1", "p2", "p1", "p2", "p1"].map { "\(dir)/\($0)" })
        XCTAssertEqual(parts.failed, ["2": "bad"])
        XCTAssertThrowsError(try ShardFolder.read(["\(dir)/p1"], command: "lits y", partial: true, as: [Double].self)) { error in
            XCTAssertEqual("\(error)", "\(dir)/p1: is a shard of `lits x`, not of `lits y`")
        }
        XCTAssertThrowsError(try ShardFolder.read(["\(dir)/p1", "\(dir)/p2"], command: "lits x", partial: false, as: [Int].self))
        // Shard 2/2 of another dataset of the same size shares a case id with this 1/2.
        try FileManager.default.createDirectory(atPath: "\(dir)/other", withIntermediateDirectories: true)
        try ShardFolder.write(ShardRecord(command: "lits x", shard: JobShard(index: 2, count: 2)!, total: 5, cases: ["7", "3"],
                                          failed: [:], settings: [0.5], source: source, files: []), to: "\(dir)/other")
        XCTAssertThrowsError(try ShardFolder.read(["\(dir)/p1", "\(dir)/other"], command: "lits x", partial: false, as: [Double].self)) { error in
            XCTAssertEqual("\(error)", "\(dir)/other: case 3 is also in \(dir)/p1: not shards of one dataset")
        }
        XCTAssertThrowsError(try ShardFolder.read([dir], command: "lits x", partial: false, as: [Double].self)) { error in
            XCTAssertEqual("\(error)", "\(dir): no shard.json: not a shard folder of `lits x --shard i/n`")
        }
    }
}
