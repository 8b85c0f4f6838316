import Foundation
import XCTest
import LiTSCore

final class QACommandTests: XCTestCase {
    /// The CLI phantom at an adult scale: body about 340 x 270 mm, liver about 1.5 L.
    func writeAdultPhantom(dir: String, id: Int) throws {
        try writePhantomCase(dir: dir, id: id, shape: [40, 32, 20], spacing: [9.5, 9.5, 10])
    }

    func testCleanDatasetPassesAndAnUncalibratedCopyFails() throws {
        let clean = try makeTempDir(self), bad = try makeTempDir(self), work = try makeTempDir(self)
        try writeAdultPhantom(dir: clean, id: 1)
        var r = try runLits(["qa", clean])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("1 case(s): 0 error(s), 0 warning(s)"), r.stdout)

        // The same case with HU + 1024 in a second folder (same case id: allowed, renamed).
        let url = URL(fileURLWithPath: clean + "/volume-1.nii.gz")
        let (ct, _) = try NIfTIReader.readFloat(path: url.path)
        try NIfTIWriter.write(ct.map { Int16($0 + 1024) }, to: bad + "/volume-1.nii.gz")
        try FileManager.default.copyItem(atPath: clean + "/segmentation-1.nii.gz", toPath: bad + "/segmentation-1.nii.gz")
        r = try runLits(["qa", clean, bad, "--out", work + "/qa"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let name = URL(fileURLWithPath: bad).lastPathComponent
        XCTAssertTrue(r.stdout.contains("\(name)-1\terror\tintensity: not calibrated"), r.stdout)
        XCTAssertEqual(errorLines(r), ["lits: error: errors in case(s) \(name)-1"])
        for f in ["index.md", "data/qa.csv", "data/qa.json", "data/qa/1.json", "data/qa/\(name)-1.json", "figures/qa-\(name)-1.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(work)/qa/\(f)"), f)
        }
        let csv = try String(contentsOfFile: work + "/qa/data/qa.csv", encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("case,check,severity,measured,expected,action,evidence\n"), csv)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/qa/data/qa.json"))) as? [String: Any]
        XCTAssertEqual(json?["errors"] as? Int, 1)
        XCTAssertEqual(json?["casesWithErrors"] as? [String], ["\(name)-1"])

        // An output inside the input is refused, as everywhere.
        r = try runLits(["qa", clean, "--out", clean + "/qa"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("inside the input") ?? false, r.stderr)
    }

    func testTheEDAReportOpensWithTheQualityChecks() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writeAdultPhantom(dir: data, id: 1)
        try writePhantomCase(dir: data, id: 2)  // the small CLI phantom: 43 mm wide at 1.2 mm, an implausible spacing
        let r = try runLits(["eda", data, "--out", work + "/eda", "--title", "Phantoms"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let page = try String(contentsOfFile: work + "/eda/index.md", encoding: .utf8)
        let qa = try XCTUnwrap(page.range(of: "## Quality checks")), summary = try XCTUnwrap(page.range(of: "## Dataset summary"))
        XCTAssertLessThan(qa.lowerBound, summary.lowerBound, "the QA section comes first")
        XCTAssertTrue(page.contains("| 2 | spacing: body width | error |"), page)
        XCTAssertTrue(page.contains("figures/qa-2.png"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/eda/data/qa.csv"))
    }
}
