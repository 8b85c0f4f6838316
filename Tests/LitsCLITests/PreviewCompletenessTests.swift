import Foundation
import XCTest
import LiTSCore

/// `lits preview` writes a complete report (page, montage, chart) for every kind of case a user
/// has: liver only (AnalysisReliabilityTests), no labels at all, and a 3-slice volume (issue 27).
final class PreviewCompletenessTests: XCTestCase {
    @discardableResult
    func assertCompleteReport(_ out: String, _ r: CLIResult, chart: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        let page = try String(contentsOfFile: "\(out)/index.md", encoding: .utf8)
        XCTAssertEqual(FileManager.default.fileExists(atPath: "\(out)/figures/enhancement_metrics.png"), chart, file: file, line: line)
        // Every figure the page links is there.
        let links = page.components(separatedBy: "](").dropFirst().compactMap { $0.split(separator: ")").first.map(String.init) }
            .filter { $0.hasSuffix(".png") }
        XCTAssertFalse(links.isEmpty, file: file, line: line)
        for link in links { XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/\(link)"), "\(link) linked but missing", file: file, line: line) }
        return page
    }

    func testCaseWithoutLabels() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        try FileManager.default.removeItem(atPath: "\(data)/segmentation-1.nii.gz")
        let r = try runLits(["preview", data, "--out", "\(work)/p"])
        // Nothing to measure the contrast on: the page says so instead of a chart, and does not
        // claim the slices were chosen over a liver.
        let page = try assertCompleteReport("\(work)/p", r, chart: false)
        XCTAssertTrue(page.contains("the case has no labels to measure them on"), page)
        XCTAssertTrue(page.contains("evenly over the volume"), page)
    }

    func testThreeSliceCase() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [48, 40, 3], spacing: [0.8, 0.8, 5])
        let r = try runLits(["preview", data, "--out", "\(work)/p"])
        try assertCompleteReport("\(work)/p", r)
    }
}
