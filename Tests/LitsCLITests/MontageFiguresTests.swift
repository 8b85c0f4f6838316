import Foundation
import XCTest
import LiTSCore

/// `--figures png|svg|pdf` for montages (Cairo surfaces): EDA case montages, QA evidence montages
/// and evaluation worst-slice montages are written in the format asked for, by a run, its shards
/// and their merge; index.md links the files written; a rerun in another format leaves no
/// montage of the old one.
final class MontageFiguresTests: XCTestCase {
    static let formats = ["png", "svg", "pdf"]

    /// `figures/NAME.ext` exists, starts with the format's magic bytes, is linked by index.md,
    /// and no other format of it is there or linked.
    private func checkMontage(_ out: String, _ name: String, _ ext: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("(figures/\(name).\(ext))"), "index.md links figures/\(name).\(ext)", file: file, line: line)
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(out)/figures/\(name).\(ext)"))
        let head = String(decoding: data.prefix(5), as: UTF8.self)
        switch ext {
        case "svg": XCTAssertTrue(head == "<?xml" || head.hasPrefix("<svg"), "\(name).svg starts with \(head)", file: file, line: line)
        case "pdf": XCTAssertEqual(head.prefix(4), "%PDF", name, file: file, line: line)
        default: XCTAssertEqual(Array(data.prefix(4)), [0x89, 0x50, 0x4E, 0x47], name, file: file, line: line)
        }
        for other in Self.formats where other != ext {
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/figures/\(name).\(other)"), "no \(name).\(other)", file: file, line: line)
            XCTAssertFalse(page.contains("figures/\(name).\(other)"), "index.md links no \(name).\(other)", file: file, line: line)
        }
    }

    /// The small CLI phantom: a case montage, and (its body is implausibly small) a QA evidence montage.
    func testEdaMontagesInSVGAndPDF() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        for format in ["svg", "pdf"] {
            let out = "\(work)/eda-\(format)"
            let r = try runLits(["eda", data, "--out", out, "--figures", format])
            XCTAssertEqual(r.status, 0, r.stderr)
            try checkMontage(out, "case-1", format)
            try checkMontage(out, "qa-1", format)
        }
    }

    /// Shards run with SVG list their SVG montages in shard.json; the merge copies them and links
    /// them, also when told PDF for its charts (a montage cannot be redrawn from a shard).
    func testEdaShardsInSVGMergeToSVGMontages() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        try writePhantomCase(dir: data, id: 2)
        for i in 1...2 {
            let r = try runLits(["eda", data, "--out", "\(work)/part\(i)", "--shard", "\(i)/2", "--figures", "svg"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let record = try String(contentsOfFile: work + "/part1/shard.json", encoding: .utf8)
        XCTAssertTrue(record.contains("figures\\/case-1.svg") || record.contains("figures/case-1.svg"), record)
        var r = try runLits(["eda", "merge", work + "/part1", work + "/part2", "--out", work + "/merged"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for id in [1, 2] {
            try checkMontage(work + "/merged", "case-\(id)", "svg")
            try checkMontage(work + "/merged", "qa-\(id)", "svg")
        }
        r = try runLits(["eda", "merge", work + "/part1", work + "/part2", "--out", work + "/merged-pdf", "--figures", "pdf"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try checkMontage(work + "/merged-pdf", "case-1", "svg")
        try checkMontage(work + "/merged-pdf", "hu_histograms", "pdf")
    }

    func testQAMontagesInPDF() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        let r = try runLits(["qa", data, "--out", work + "/qa", "--figures", "pdf"])
        XCTAssertEqual(r.status, 1, "the small phantom has a spacing error: " + r.stdout + r.stderr)
        try checkMontage(work + "/qa", "qa-1", "pdf")
    }

    /// Worst-slice montages of a run, and of shards merged, in SVG.
    func testEvaluateWorstSlicesInSVG() throws {
        let truth = try makeTempDir(self), pred = try makeTempDir(self), work = try makeTempDir(self)
        for id in [1, 2] {
            try writePhantomCase(dir: truth, id: id)
            try FileManager.default.copyItem(atPath: "\(truth)/segmentation-\(id).nii.gz", toPath: "\(pred)/segmentation-\(id).nii.gz")
        }
        var r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", work + "/ev", "--figures", "svg"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try checkMontage(work + "/ev", "worst-slices-1", "svg")
        try checkMontage(work + "/ev", "worst-slices-2", "svg")
        for i in 1...2 {
            r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", "\(work)/part\(i)", "--shard", "\(i)/2", "--figures", "svg"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        r = try runLits(["evaluate", "merge", work + "/part1", work + "/part2", "--out", work + "/merged"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try checkMontage(work + "/merged", "worst-slices-1", "svg")
        try checkMontage(work + "/merged", "worst-slices-2", "svg")
        try checkMontage(work + "/merged", "case_dice", "svg")
    }

    /// A rerun into the same folder in PNG after SVG: only PNG montages are there and linked.
    func testRerunInPNGAfterSVGLeavesNoSVGMontage() throws {
        let data = try makeTempDir(self), pred = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        try FileManager.default.copyItem(atPath: data + "/segmentation-1.nii.gz", toPath: pred + "/segmentation-1.nii.gz")
        for format in ["svg", "png"] {
            XCTAssertEqual(try runLits(["eda", data, "--out", work + "/eda", "--figures", format]).status, 0)
            XCTAssertEqual(try runLits(["qa", data, "--out", work + "/qa", "--figures", format]).status, 1)
            let r = try runLits(["evaluate", "--pred", pred, "--truth", data, "--out", work + "/ev", "--figures", format])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        try checkMontage(work + "/eda", "case-1", "png")
        try checkMontage(work + "/eda", "qa-1", "png")
        try checkMontage(work + "/qa", "qa-1", "png")
        try checkMontage(work + "/ev", "worst-slices-1", "png")
    }
}
