import Foundation
import XCTest
import LiTSCore

/// The dataset commands (qa, eda, preview, enhance, preprocess) on cases at the edges: thin
/// volumes, no tumour, options past what a volume can use, a full disk.
final class AnalysisReliabilityTests: XCTestCase {
    /// Two thin cases (3 slices, one 16 mm fingerprint cell deep) and a thicker one: the duplicate
    /// search aligns profiles of 1 and 2 cells, which trapped ("Range requires lowerBound <= upperBound").
    func writeThinDataset(_ dir: String) throws {
        try writePhantomCase(dir: dir, id: 1, shape: [40, 32, 3], spacing: [1.2, 1.2, 4])
        try writePhantomCase(dir: dir, id: 2, shape: [36, 30, 3], spacing: [1.2, 1.2, 3])
        try writePhantomCase(dir: dir, id: 3, shape: [40, 32, 8], spacing: [1.2, 1.2, 3])
    }

    func testQAAndEDASurviveThinCases() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writeThinDataset(data)
        var r = try runLits(["qa", data, "--out", work + "/qa"])
        XCTAssertTrue(r.status == 0 || r.status == 1, "qa: status \(r.status): \(r.stderr)")
        XCTAssertTrue(r.stdout.contains("3 case(s):"), r.stdout + r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/qa/index.md"))
        r = try runLits(["eda", data, "--out", work + "/eda"])
        XCTAssertEqual(r.status, 0, "eda: \(r.stderr)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/eda/index.md"))
        XCTAssertTrue(r.stdout.contains("(3 case(s))"), r.stdout)
    }

    /// A labelled case without tumour has no liver-tumour contrast: the chart draws an empty
    /// panel (gnuplot refused a plot of only undefined values, and no index.md was written).
    func testPreviewOfALiverOnlyCase() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, labelOverride: { labels in
            labels.voxels = labels.voxels.map { $0 == 2 ? 1 : $0 }
        })
        let r = try runLits(["preview", data, "--out", work + "/p"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/p/index.md"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/p/figures/enhancement_metrics.png"))
        XCTAssertTrue(r.stdout.contains("window: contrast -"), r.stdout)
    }
}
