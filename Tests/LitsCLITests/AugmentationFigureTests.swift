import Foundation
import XCTest

/// The augmentation montage of `lits train --augment` is drawn in the run's `--figures` format
/// (kept by --resume) and the run page links that file; PNG stays the default.
final class AugmentationFigureTests: XCTestCase {
    private let small = ["--patch", "16,16,8", "--filters", "4,8", "--volumes-per-batch", "1", "--patches-per-volume", "2",
                         "--batches-per-epoch", "1", "--augment", "default"]

    private func preprocessed() throws -> String {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        XCTAssertEqual(try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"]).status, 0)
        return work
    }

    /// figures/augmentation.EXT starts with the format's magic bytes, the page links it, and no
    /// other format of it is there or linked.
    private func checkFigure(_ run: String, _ ext: String, _ magic: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(run)/figures/augmentation.\(ext)"))
        XCTAssertEqual(Array(data.prefix(magic.count)), magic, file: file, line: line)
        let page = try String(contentsOfFile: run + "/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("(figures/augmentation.\(ext))"), page, file: file, line: line)
        for other in ["png", "svg", "pdf"] where other != ext {
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(run)/figures/augmentation.\(other)"), other, file: file, line: line)
            XCTAssertFalse(page.contains("figures/augmentation.\(other)"), other, file: file, line: line)
        }
    }

    func testAugmentationFigureFollowsFiguresSVGAndResumeKeepsIt() throws {
        let work = try preprocessed(), run = work + "/run"
        var r = try runLits(["train", work + "/pre", "--out", run, "--epochs", "1", "--figures", "svg"] + small)
        XCTAssertEqual(r.status, 0, r.stderr)
        try checkFigure(run, "svg", Array("<?xml".utf8))
        let svg = try String(contentsOfFile: run + "/figures/augmentation.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg"), "a Cairo SVG surface")
        // A run stopped after epoch 1 of 2, resumed: the recorded format, not the default.
        let path = run + "/config.json"
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"epochs\" : 1,", with: "\"epochs\" : 2,")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        r = try runLits(["train", "--resume", run])
        XCTAssertEqual(r.status, 0, r.stderr)
        try checkFigure(run, "svg", Array("<?xml".utf8))
    }

    func testAugmentationFigureIsPNGByDefaultAndPDFOnRequest() throws {
        let work = try preprocessed()
        var r = try runLits(["train", work + "/pre", "--out", work + "/png", "--epochs", "1"] + small)
        XCTAssertEqual(r.status, 0, r.stderr)
        try checkFigure(work + "/png", "png", [0x89, 0x50, 0x4E, 0x47])
        r = try runLits(["train", work + "/pre", "--out", work + "/pdf", "--epochs", "1", "--figures", "pdf"] + small)
        XCTAssertEqual(r.status, 0, r.stderr)
        try checkFigure(work + "/pdf", "pdf", Array("%PDF".utf8))
    }
}
