import Foundation
import XCTest
import LiTSCore

final class EdaCommandTests: XCTestCase {
    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func testReportAndShardsMergeToTheSameReport() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        try writePhantomCase(dir: data, id: 2, shape: [36, 30, 16], spacing: [0.9, 0.9, 5])
        try writePhantomCase(dir: data + "/more", id: 3, shape: [30, 30, 24])
        var r = try runLits(["eda", data, "--out", work + "/single", "--title", "Phantoms"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for f in ["index.md", "data/cases.csv", "data/lesions.csv", "data/fingerprint.json", "data/summary.json",
                  "data/hu_histograms.csv", "figures/case-1.png", "figures/hu_histograms.png", "figures/lesion_3d.png",
                  "charts/lesion_sizes.gp", "charts/lesion_sizes.dat", "data/cases/3.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(work)/single/\(f)"), f)
        }
        let cases = try read(work + "/single/data/cases.csv").split(separator: "\n")
        XCTAssertEqual(cases.count, 4)
        XCTAssertTrue(cases[1].hasPrefix("1,"))
        let lesions = try read(work + "/single/data/lesions.csv").split(separator: "\n")
        XCTAssertEqual(lesions.count, 4, "one tumor per phantom")
        XCTAssertTrue(lesions[1].contains(",top,") || lesions[1].contains(",middle,"), "the phantom tumor sits above the liver's centre")

        for i in 1...2 {
            r = try runLits(["eda", data, "--out", "\(work)/part\(i)", "--shard", "\(i)/2"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(work)/part\(i)/index.md"), "a shard writes no page")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work + "/part1/data/cases").sorted(), ["1.json", "3.json"])
        r = try runLits(["eda", "merge", work + "/part1", work + "/part2", "--out", work + "/merged", "--title", "Phantoms"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for f in ["index.md", "data/cases.csv", "data/lesions.csv", "data/fingerprint.json", "data/summary.json",
                  "data/hu_histograms.csv", "charts/hu_histograms.dat", "charts/lesion_3d.dat", "charts/tumor_burden.dat"] {
            XCTAssertEqual(try read("\(work)/merged/\(f)"), try read("\(work)/single/\(f)"), "merged \(f) differs from the single run")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: work + "/merged/figures/case-2.png")),
                       try Data(contentsOf: URL(fileURLWithPath: work + "/single/figures/case-2.png")))

        // The same shard twice is refused.
        r = try runLits(["eda", "merge", work + "/part1", work + "/part1", "--out", work + "/twice"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("case 1 is also in") ?? false, r.stderr)

        // A missing shard is refused (its cases would silently be left out), unless --partial.
        r = try runLits(["eda", "merge", work + "/part2", "--out", work + "/missing"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("shard(s) 1/2 missing") ?? false, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/missing/index.md"), "no partial output")
        r = try runLits(["eda", "merge", work + "/part2", "--out", work + "/partial", "--partial"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("shard(s) 1/2 missing"), r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/partial/index.md"))
    }

    func testAFailedCaseIsReportedAndTheRestStillRun() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        try writePhantomCase(dir: data, id: 2, ext: "nii")
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: data + "/volume-2.nii"))
        let r = try runLits(["eda", data, "--out", work + "/report"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).contains { $0.contains("volume-2.nii: truncated header") }, r.stderr)
        let page = try read(work + "/report/index.md")
        XCTAssertTrue(page.contains("Case 2 could not be analysed"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/report/data/cases/2.json"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/report/data/cases/1.json"))
    }

    func testArgumentChecks() throws {
        let data = try makeTempDir(self)
        for bad in [["--shard", "3/2"], ["--shard", "x"], ["--connectivity", "8"]] {
            let r = try runLits(["eda", data, "--out", data + "-r"] + bad)
            XCTAssertNotEqual(r.status, 0, "\(bad)")
        }
    }
}
