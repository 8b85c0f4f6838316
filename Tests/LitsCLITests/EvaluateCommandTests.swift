import Foundation
import XCTest
import LiTSCore

final class EvaluateCommandTests: XCTestCase {
    /// Truth: a liver box over k = 2...13 (canonical, superior = high k) with two lesions.
    /// Prediction: the same, but the liver's top four slices are missed and the second lesion too.
    func writeCase(truthDir: String, predDir: String, id: Int, flipZ: Bool) throws {
        let shape = [20, 16, 16]
        let affine = flipZ
            ? Affine(rows: [[-1, 0, 0, 10], [0, -1, 0, 10], [0, 0, -2, 40], [0, 0, 0, 1]])   // LPI: file k runs downwards
            : Affine(rows: [[-1, 0, 0, 10], [0, -1, 0, 10], [0, 0, 2, -10], [0, 0, 0, 1]])   // LPS
        let grid = Grid(shape: shape, spacing: [1, 1, 2], affine: affine)
        var ct = Volume<Float>(grid: grid, repeating: -1000), truth = LabelMap(grid: grid, repeating: 0), pred = LabelMap(grid: grid, repeating: 0)
        for k in 0..<16 { for j in 0..<16 { for i in 0..<20 {
            let kc = flipZ ? 15 - k : k  // canonical slice of file slice k
            if 3...16 ~= i, 3...12 ~= j { ct[i, j, k] = 40 }
            guard 2...13 ~= kc, 4...15 ~= i, 4...11 ~= j else { continue }
            ct[i, j, k] = 100
            truth[i, j, k] = 1
            if kc < 10 { pred[i, j, k] = 1 }
            let lesionA = 6...8 ~= i && 5...7 ~= j && 4...6 ~= kc
            let lesionB = 12...14 ~= i && 8...10 ~= j && 7...9 ~= kc
            if lesionA || lesionB { truth[i, j, k] = 2 }
            if lesionA { pred[i, j, k] = 2 }
        } } }
        try NIfTIWriter.write(ct.map { Int16($0) }, to: "\(truthDir)/volume-\(id).nii.gz")
        try NIfTIWriter.write(truth, to: "\(truthDir)/segmentation-\(id).nii.gz")
        try NIfTIWriter.write(pred, to: "\(predDir)/segmentation-\(id).nii.gz")
    }

    /// --nsd-tolerance reaches the metric per organ: at 1000 mm every surface voxel is within
    /// tolerance (NSD 1); at 0 mm the liver's missed top slices leave part of both surfaces out.
    /// Also the instance metrics of the default report (RQ, SQ, PQ in cases.csv and index.md).
    func testNSDTolerancePerOrgan() throws {
        let truth = try makeTempDir(self), pred = try makeTempDir(self)
        try writeCase(truthDir: truth, predDir: pred, id: 3, flipZ: false)
        func nsd(_ tolerance: String) throws -> (liver: Double, lesion: Double) {
            let out = try makeTempDir(self) + "/report"
            let r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", out, "--nsd-tolerance", tolerance])
            XCTAssertEqual(r.status, 0, r.stderr)
            let csv = try String(contentsOfFile: out + "/data/cases.csv", encoding: .utf8).split(separator: "\n")
            let header = csv[0].split(separator: ",").map(String.init), row = csv[1].split(separator: ",").map(String.init)
            return (Double(row[header.firstIndex(of: "liver_nsd")!])!, Double(row[header.firstIndex(of: "lesion_nsd")!])!)
        }
        let wide = try nsd("1000")
        XCTAssertEqual(wide.liver, 1)
        XCTAssertEqual(wide.lesion, 1)
        let mixed = try nsd("0,1000")
        XCTAssertLessThan(mixed.liver, 0.9)
        XCTAssertGreaterThan(mixed.liver, 0.3)
        XCTAssertEqual(mixed.lesion, 1)
        // Instance metrics: lesion A predicted exactly, lesion B missed.
        let out = try makeTempDir(self) + "/report"
        XCTAssertEqual(try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", out]).status, 0)
        let csv = try String(contentsOfFile: out + "/data/cases.csv", encoding: .utf8).split(separator: "\n")
        let header = csv[0].split(separator: ",").map(String.init), row = csv[1].split(separator: ",").map(String.init)
        XCTAssertEqual(row[header.firstIndex(of: "lesion_rq")!], "0.666667")
        XCTAssertEqual(row[header.firstIndex(of: "lesion_sq")!], "1.000000")
        XCTAssertEqual(row[header.firstIndex(of: "lesion_pq")!], "0.666667")
        XCTAssertTrue(try String(contentsOfFile: out + "/index.md", encoding: .utf8).contains("| 1 | 0 | 1 | 0.667 | 1.000 | 0.667 |"))
        // BraTS lesion-wise: A exact (Dice 1, HD95 0), B missed (0, 374): means 0.5 and 187.
        XCTAssertEqual(row[header.firstIndex(of: "brats_lesion_dice")!], "0.500000")
        XCTAssertEqual(row[header.firstIndex(of: "brats_lesion_hd95_mm")!], "187.0000")
        let index = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        XCTAssertTrue(index.contains("Lesion-wise metrics (BraTS 2023)"))
        XCTAssertTrue(index.contains("| 1 | 1 | 0 | 0.500 | 187.00 | 0.500 | 187.00 |"), index)
        let regions = try String(contentsOfFile: out + "/data/lesion-regions.csv", encoding: .utf8)
        XCTAssertTrue(regions.hasPrefix("case,region,lesions,detected,"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/figures/lesion_wise_per_region.png"))
        let bad = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", truth + "/x", "--nsd-tolerance", "-1"])
        XCTAssertNotEqual(bad.status, 0)
    }

    func testRegionsDetectionAndBothZOrientations() throws {
        var reports: [String: String] = [:]
        for flip in [false, true] {
            let truth = try makeTempDir(self), pred = try makeTempDir(self), out = try makeTempDir(self) + "/report"
            try writeCase(truthDir: truth, predDir: pred, id: 3, flipZ: flip)
            let r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", out])
            XCTAssertEqual(r.status, 0, r.stderr)
            let regions = try String(contentsOfFile: out + "/data/regions.csv", encoding: .utf8)
            reports[flip ? "LPI" : "LPS"] = regions
            let rows = Dictionary(uniqueKeysWithValues: regions.split(separator: "\n").dropFirst().map { line -> (String, [String]) in
                let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                return (f[1], f)
            })
            // Liver k = 2...13: bottom 2...5, middle 6...9, top 10...13 -> only the top is missed.
            XCTAssertEqual(Double(rows["bottom"]![2])!, 1, accuracy: 1e-9)
            XCTAssertEqual(Double(rows["middle"]![2])!, 1, accuracy: 1e-9)
            XCTAssertEqual(Double(rows["top"]![2])!, 0, accuracy: 1e-9, "the missed slices are the superior ones")
            XCTAssertEqual(Int(rows["top"]![4])!, 12 * 8 * 4, "top FN voxels")
            let cases = try String(contentsOfFile: out + "/data/cases.csv", encoding: .utf8).split(separator: "\n")[1].split(separator: ",").map(String.init)
            XCTAssertEqual(cases[21], "2", "truth lesions")
            XCTAssertEqual(cases[22], "1", "detected lesions")
            let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
            XCTAssertTrue(page.contains("lies in the **top** third"))
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/figures/worst-slices-3.png"))
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/figures/dice_per_region.png"))
        }
        XCTAssertEqual(reports["LPS"], reports["LPI"], "the same anatomy gives the same regions whichever way the file's z runs")
    }

    func testCompareAndBadInputs() throws {
        let truth = try makeTempDir(self), pred = try makeTempDir(self), work = try makeTempDir(self)
        try writeCase(truthDir: truth, predDir: pred, id: 1, flipZ: false)
        XCTAssertEqual(try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", work + "/a"]).status, 0)
        XCTAssertEqual(try runLits(["evaluate", "--pred", truth, "--truth", truth, "--out", work + "/b"]).status, 0, "truth against itself")
        let r = try runLits(["evaluate", "--compare", work + "/a", work + "/b", "--out", work + "/cmp"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("| top | 0.000 | 1.000 | +1.000 |"), r.stdout)

        let empty = try makeTempDir(self)
        let missing = try runLits(["evaluate", "--pred", empty, "--truth", truth, "--out", work + "/c"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(errorLines(missing).contains { $0.contains("no prediction for case 1") }, missing.stderr)
    }
}
