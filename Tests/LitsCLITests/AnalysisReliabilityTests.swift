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

    /// Size options past a documented limit are refused before anything runs (they allocated 8 GB
    /// or ran for minutes), with the option and its limit named.
    func testSizeOptionsPastTheirLimitsAreRefused() throws {
        let dir = try makeTempDir(self)
        try writePhantomCase(dir: "\(dir)/data", id: 1)
        let volume = "\(dir)/data/volume-1.nii.gz"
        let cases: [(args: [String], message: String)] = [
            (["enhance", volume, "--method", "slice", "--out", "\(dir)/e.nii", "--bins", "2000000000"], "--bins must be in 2...65536"),
            (["preview", volume, "--out", "\(dir)/v", "--bins", "100000000"], "--bins must be in 2...65536"),
            (["enhance", volume, "--method", "clahe", "--out", "\(dir)/e.nii", "--clahe-bins", "2000000000"], "--clahe-bins must be in 2...16384"),
            (["enhance", volume, "--method", "clahe", "--out", "\(dir)/e.nii", "--clahe-kernel", "100000"], "--clahe-kernel must be at most 32767"),
            (["preprocess", "\(dir)/data", "--out", "\(dir)/p", "--size", "100000"], "--size must be at most 4096"),
            (["preprocess", "\(dir)/data", "--out", "\(dir)/p", "--equalize", "slice", "--bins", "65537"], "--bins must be in 2...65536"),
        ]
        for (args, message) in cases {
            let r = try runLits(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        for name in ["e.nii", "v", "p"] { XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/\(name)"), name) }
    }

    /// A CLAHE kernel larger than the axial slice (40 columns x 32 rows here) is refused with the
    /// limit; it looped over the kernel's area and never ended for 100000.
    func testCLAHEKernelIsBoundedByTheSlice() throws {
        let dir = try makeTempDir(self)
        try writePhantomCase(dir: "\(dir)/data", id: 1)
        let volume = "\(dir)/data/volume-1.nii.gz"
        var r = try runLits(["enhance", volume, "--method", "clahe", "--out", "\(dir)/e.nii", "--clahe-kernel", "20000"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r), ["lits: error: \(volume): --clahe-kernel 20000x20000 is larger than this volume's axial slice (32 rows x 40 columns): use at most 32x40"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/e.nii"))
        r = try runLits(["enhance", volume, "--method", "clahe", "--out", "\(dir)/e.nii", "--clahe-kernel", "32x40"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["preview", volume, "--out", "\(dir)/v", "--clahe-kernel", "33x8"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(errorLines(r).first?.contains("use at most 32x40") ?? false, r.stderr)
        // In a dataset the case fails with that line and no arrays are left.
        r = try runLits(["preprocess", "\(dir)/data", "--out", "\(dir)/p", "--size", "16", "--equalize", "clahe", "--clahe-kernel", "8x41"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("--clahe-kernel 8x41 is larger"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/p/vol1.npy"))

        // One-pixel tiles on a 256x256 slice with 16384 bins: 8 GB of tile mappings per slice.
        try writePhantomCase(dir: "\(dir)/big", id: 2, shape: [256, 256, 2])
        r = try runLits(["enhance", "\(dir)/big/volume-2.nii.gz", "--method", "clahe", "--out", "\(dir)/b.nii",
                         "--clahe-kernel", "1", "--clahe-bins", "16384"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(errorLines(r).first?.contains("need 8192 MB, over the limit of 256 MB") ?? false, r.stderr)
    }
}
