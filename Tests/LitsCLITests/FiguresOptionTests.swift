import Foundation
import XCTest
import LiTSCore

/// `--figures png|svg|pdf` end to end: the files each command writes start with the format's
/// magic bytes, index.md links them, PNG stays the default; and charts of real runs that cannot
/// mislead (no lesion: "no data", undefined lesion Dice: "not defined", whole-number epochs,
/// the sampling mode in words).
final class FiguresOptionTests: XCTestCase {
    static let magic: [String: [UInt8]] = ["png": [0x89, 0x50, 0x4E, 0x47], "svg": Array("<?xml".utf8), "pdf": Array("%PDF".utf8)]

    /// Every chart figure the page links is in `ext`, exists and starts with its magic bytes.
    private func checkCharts(_ out: String, _ ext: String, _ charts: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        for chart in charts {
            XCTAssertTrue(page.contains("(figures/\(chart).\(ext))"), "index.md links figures/\(chart).\(ext)", file: file, line: line)
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(out)/figures/\(chart).\(ext)"))
            XCTAssertEqual(Array(data.prefix(Self.magic[ext]!.count)), Self.magic[ext]!, chart, file: file, line: line)
            for other in Self.magic.keys where other != ext {
                XCTAssertFalse(page.contains("figures/\(chart).\(other)"), file: file, line: line)
            }
        }
    }

    static let edaCharts = ["hu_histograms", "lesion_sizes", "lesions_per_region", "lesion_3d", "tumor_burden"]
    static let evaluationCharts = ["dice_per_region", "dice_profile", "detection_by_size", "case_dice", "lesion_wise_per_region"]

    func testEdaFiguresDefaultPNGAndSVGAndPDF() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        for (format, args) in [("png", [String]()), ("svg", ["--figures", "svg"]), ("pdf", ["--figures", "pdf"])] {
            let out = "\(work)/eda-\(format)"
            let r = try runLits(["eda", data, "--out", out] + args)
            XCTAssertEqual(r.status, 0, r.stderr)
            try checkCharts(out, format, Self.edaCharts)
        }
        let r = try runLits(["eda", data, "--out", work + "/bad", "--figures", "gif"])
        XCTAssertNotEqual(r.status, 0)
    }

    /// Liver without tumour: every lesion chart says "no data" and the report is complete.
    func testEdaWithoutLesionsWritesNoDataPanels() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, labelOverride: { $0.voxels = $0.voxels.map { $0 == 2 ? 1 : $0 } })
        let r = try runLits(["eda", data, "--out", work + "/eda"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try checkCharts(work + "/eda", "png", Self.edaCharts)
        for chart in ["lesion_sizes", "lesions_per_region", "lesion_3d"] {
            XCTAssertTrue(try String(contentsOfFile: "\(work)/eda/charts/\(chart).gp", encoding: .utf8).contains("no data: no lesion"), chart)
        }
    }

    /// A truth and prediction without lesion: its lesion Dice is not defined, drawn apart from
    /// the cases with one and counted in the legend, never at 0; the lesion-wise chart says "no data".
    func testEvaluateFiguresPDFAndUndefinedLesionDice() throws {
        let truth = try makeTempDir(self), pred = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: truth, id: 1, labelOverride: { $0.voxels = $0.voxels.map { $0 == 2 ? 1 : $0 } })
        try FileManager.default.copyItem(atPath: truth + "/segmentation-1.nii.gz", toPath: pred + "/segmentation-1.nii.gz")
        var r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", work + "/pdf", "--figures", "pdf"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try checkCharts(work + "/pdf", "pdf", Self.evaluationCharts)
        r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", work + "/png"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try checkCharts(work + "/png", "png", Self.evaluationCharts)
        let gp = try String(contentsOfFile: work + "/png/charts/case_dice.gp", encoding: .utf8)
        XCTAssertTrue(gp.contains("lesion Dice not defined (no lesion in truth or prediction): 1 case(s)"))
        let row = try String(contentsOfFile: work + "/png/charts/case_dice.dat", encoding: .utf8).split(separator: "\n")[1]
        XCTAssertEqual(row.split(separator: " ")[1], "NaN", "lesion Dice of a case without lesions is not 0")
        XCTAssertTrue(try String(contentsOfFile: work + "/png/charts/lesion_wise_per_region.gp", encoding: .utf8).contains("no data: "))
    }

    func testPreviewFiguresSVG() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        let r = try runLits(["preview", data + "/volume-1.nii.gz", "--out", work + "/p", "--figures", "svg"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try checkCharts(work + "/p", "svg", ["enhancement_metrics"])
    }

    /// A run page: SVG charts (kept by --resume), whole-number epoch ticks, sampling in words.
    func testTrainFiguresSVGIntegerEpochTicksAndSamplingInWords() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        XCTAssertEqual(try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"]).status, 0)
        let small = ["--patch", "16,16,8", "--filters", "4,8", "--volumes-per-batch", "1", "--patches-per-volume", "2", "--batches-per-epoch", "1"]
        var r = try runLits(["train", work + "/pre", "--out", work + "/run", "--epochs", "2", "--figures", "svg", "--sampling", "liver-biased"] + small)
        XCTAssertEqual(r.status, 0, r.stderr)
        try checkCharts(work + "/run", "svg", ["training_curves", "sampler_shares"])
        let gp = try String(contentsOfFile: work + "/run/charts/training_curves.gp", encoding: .utf8)
        XCTAssertTrue(gp.contains("set xtics 1\n"), gp)
        XCTAssertTrue(gp.contains("set format x '%.0f'"))
        let page = try String(contentsOfFile: work + "/run/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("liver-biased: 40% of patches centred in the liver, 30% on a lesion"), page)
        XCTAssertFalse(page.contains("liverBiased("))
        // config.json records the format, so --resume draws the run's charts as it started.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/run/config.json"))) as! [String: Any]
        XCTAssertEqual(json["figures"] as? String, "svg")
        r = try runLits(["train", "--resume", work + "/run"])
        try checkCharts(work + "/run", "svg", ["training_curves", "sampler_shares"])
    }
}
