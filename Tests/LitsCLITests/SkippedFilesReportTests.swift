import Foundation
import XCTest

/// Files that dataset discovery passes over (a dangling link, a folder named like a case file)
/// are warned about and listed in the reports `lits eda` and `lits qa` write (issue 26).
final class SkippedFilesReportTests: XCTestCase {
    func makeDatasetWithSkippedFiles() throws -> (data: String, tmp: String) {
        let tmp = try makeTempDir(self)
        let data = "\(tmp)/data"
        try writePhantomCase(dir: data, id: 1)
        try FileManager.default.createSymbolicLink(atPath: "\(data)/volume-9.nii", withDestinationPath: "\(tmp)/gone.nii")
        try FileManager.default.createDirectory(atPath: "\(data)/volume-5.nii", withIntermediateDirectories: false)
        return (data, tmp)
    }

    func testEDAReportListsSkippedFiles() throws {
        let (data, tmp) = try makeDatasetWithSkippedFiles()
        let r = try runLits(["eda", data, "--out", "\(tmp)/eda"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("volume-9.nii"), r.stderr)
        XCTAssertTrue(r.stderr.contains("volume-5.nii"), r.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(tmp)/eda/data/summary.json"))) as! [String: Any]
        let skipped = (summary["skippedFiles"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        XCTAssertEqual(skipped.map { URL(fileURLWithPath: $0).lastPathComponent }.sorted(), ["volume-5.nii", "volume-9.nii"])
        let page = try String(contentsOfFile: "\(tmp)/eda/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("volume-9.nii") && page.contains("volume-5.nii"), "the page names the skipped files")
        XCTAssertTrue(page.contains("skipped file"))
    }

    func testQAReportListsSkippedFiles() throws {
        let (data, tmp) = try makeDatasetWithSkippedFiles()
        let r = try runLits(["qa", data, "--out", "\(tmp)/qa"])
        XCTAssertTrue(r.stdout.contains("skipped file") && r.stdout.contains("volume-9.nii"), r.stdout)
        let page = try String(contentsOfFile: "\(tmp)/qa/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("volume-9.nii") && page.contains("volume-5.nii"), "the page names the skipped files")
    }

    func testEDAMergeKeepsTheSkippedFiles() throws {
        let (data, tmp) = try makeDatasetWithSkippedFiles()
        try writePhantomCase(dir: data, id: 2)
        for k in 1...2 { XCTAssertEqual(try runLits(["eda", data, "--shard", "\(k)/2", "--out", "\(tmp)/s\(k)"]).status, 0) }
        let m = try runLits(["eda", "merge", "\(tmp)/s1", "\(tmp)/s2", "--out", "\(tmp)/merged"])
        XCTAssertEqual(m.status, 0, m.stderr)
        let page = try String(contentsOfFile: "\(tmp)/merged/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("volume-9.nii") && page.contains("volume-5.nii"), "the merged page names the skipped files")
    }
}
