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
            // A window bound past Int's range trapped where the page prints it in whole HU.
            (["preview", volume, "--out", "\(dir)/v", "--window=-1e30,1e30"], "--window"),
            (["enhance", volume, "--method", "window", "--out", "\(dir)/e.nii", "--window=-100,200000"], "--window"),
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

    /// `lits preprocess` on a full disk: the volume array fits, the mask does not. The failed case
    /// keeps neither array (its vol1.npy stayed, also after a rerun) and no manifest lists it.
    func testPreprocessOnAFullDiskLeavesNothingOfTheFailedCase() throws {
        let data = try makeTempDir(self), disk = try makeSmallDisk(self, megabytes: 4)
        try writePhantomCase(dir: data, id: 1)
        let out = "\(disk)/p"
        var r = try runLits(["preprocess", data, "--out", out, "--size", "32", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let size = { (name: String) in ((try? FileManager.default.attributesOfItem(atPath: "\(out)/\(name)"))?[.size] as? Int) ?? 0 }
        let (vol, mask) = (size("vol1.npy"), size("mask1.npy"))
        XCTAssertGreaterThan(vol, 4 * mask / 2)
        for name in ["vol1.npy", "mask1.npy"] { try FileManager.default.removeItem(atPath: "\(out)/\(name)") }
        // Room for the volume and half the mask.
        try fillDisk(disk, leaveKilobytes: (vol + mask / 2) / 1024 + 4)
        for run in 1...2 {
            r = try runLits(["preprocess", data, "--out", out, "--size", "32", "--threads", "1"])
            XCTAssertEqual(r.status, 1, "run \(run): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("mask1.npy"), "run \(run): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("1 of 1 cases failed: 1"), r.stderr)
            let left = try FileManager.default.contentsOfDirectory(atPath: out).filter { !$0.hasPrefix(".litskit") }
            XCTAssertEqual(left, [], "run \(run): a failed case leaves no arrays and no manifest lists it")
        }
    }

    /// `lits eda` and `lits qa` on a disk filled to various levels: every case either has all its
    /// files or none and is then listed as failed, and the status is non-zero. A case whose files
    /// could not be written was lost behind a report-file error (40 KB free here).
    func testEDAAndQAOnAFullDiskListEveryFailedCase() throws {
        let data = try makeTempDir(self), disk = try makeSmallDisk(self, megabytes: 4)
        try writePhantomCase(dir: data, id: 1, shape: [64, 64, 24])
        try writePhantomCase(dir: data, id: 2, shape: [64, 64, 24], spacing: [1, 1, 3])
        var sawFailedCase = false
        for leave in [0, 20, 40, 60, 80, 160, 260, 400] {
            for command in ["eda", "qa"] {
                let out = "\(disk)/\(command)"
                try? FileManager.default.removeItem(atPath: out)
                try? FileManager.default.removeItem(atPath: "\(disk)/.filler")
                try fillDisk(disk, leaveKilobytes: leave)
                let r = try runLits([command, data, "--out", out, "--threads", "1"])
                let what = "\(command), \(leave) KB free: \(r.stderr)"
                // qa reports a case it could not save as that case's finding, on stdout.
                let full = (r.stderr + r.stdout).contains("no space left on the device")
                // qa exits 1 on the phantoms' own findings; eda only on a failure.
                XCTAssertEqual(r.status, command == "qa" || full ? 1 : 0, what)
                var failed: [String] = []
                for id in ["1", "2"] {
                    var files = ["data/qa/\(id).json"]
                    if command == "eda" { files += ["data/cases/\(id).json", "figures/case-\(id).png"] }
                    let present = files.filter { FileManager.default.fileExists(atPath: "\(out)/\($0)") }
                    if present.count != files.count {
                        XCTAssertEqual(present, [], "\(what): case \(id) failed but left \(present)")
                        failed.append(id)
                    }
                }
                if !full { XCTAssertTrue(failed.isEmpty && FileManager.default.fileExists(atPath: "\(out)/index.md"), what) }
                // Full before any case ran (the folder's marker): one line, nothing else to list.
                if r.stderr.contains(".litskit.json") { continue }
                sawFailedCase = sawFailedCase || !failed.isEmpty
                if command == "eda", !failed.isEmpty {
                    XCTAssertTrue(r.stderr.contains("\(failed.count) of 2 cases failed: \(failed.joined(separator: ", "))"), what)
                }
                for id in failed where command == "qa" {
                    // Not saved, not "unreadable": the input is not at fault.
                    XCTAssertTrue(r.stdout.contains("\(id)\terror\tsaved\t"), "\(what)\n\(r.stdout)")
                }
            }
        }
        XCTAssertTrue(sawFailedCase, "some level should leave room for the first case only")

        // With room, a failed case (unreadable here) is listed with its reason in summary.json.
        try FileManager.default.removeItem(atPath: "\(disk)/.filler")
        try Data("not a NIfTI".utf8).write(to: URL(fileURLWithPath: "\(data)/volume-3.nii"))
        let r = try runLits(["eda", data, "--out", "\(disk)/eda2", "--threads", "1"])
        XCTAssertEqual(r.status, 1, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(disk)/eda2/data/summary.json"))) as? [String: Any]
        XCTAssertEqual(json?["cases"] as? Int, 2)
        XCTAssertTrue((json?["failedCases"] as? [String: String])?["3"]?.contains("volume-3.nii") ?? false, "\(String(describing: json))")
    }

    /// Cases at the edges of what a file may hold: one voxel, one slice, no labels set, HU near
    /// float32's largest. Every dataset command runs or fails each one with a line; none traps.
    func testDatasetCommandsSurviveOddCases() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        try writePhantomCase(dir: data, id: 2, shape: [1, 1, 1])
        try writePhantomCase(dir: data, id: 3, shape: [40, 32, 1])
        try writePhantomCase(dir: data, id: 4, labelOverride: { $0.voxels = $0.voxels.map { _ in 0 } })
        // Extreme but finite HU (an unscaled float file).
        let grid = Grid(shape: [24, 20, 6], spacing: [1.5, 1.5, 3], affine: Affine.diagonal(spacing: [1.5, 1.5, 3], origin: [0, 0, 0]))
        var ct = Volume<Float>(grid: grid, repeating: 40)
        for n in stride(from: 0, to: ct.voxels.count, by: 7) { ct.voxels[n] = n % 2 == 0 ? 3e38 : -3e38 }
        var labels = LabelMap(grid: grid, repeating: 0)
        for n in 0..<(labels.voxels.count / 2) { labels.voxels[n] = n % 11 == 0 ? 2 : 1 }
        try NIfTIWriter.write(ct, to: "\(data)/volume-5.nii")
        try NIfTIWriter.write(labels, to: "\(data)/segmentation-5.nii")
        let runs: [[String]] = [
            ["qa", data, "--out", "\(work)/qa"],
            ["eda", data, "--out", "\(work)/eda"],
            ["preprocess", data, "--out", "\(work)/pp", "--size", "16"],
            ["preprocess", data, "--out", "\(work)/pp-clahe", "--size", "16", "--equalize", "clahe"],
        ]
        for args in runs {
            let r = try runLits(args)
            XCTAssertTrue(r.status == 0 || r.status == 1, "\(args[0]): status \(r.status): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        }
        for page in ["qa/index.md", "eda/index.md", "pp/manifest.json", "pp-clahe/manifest.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(work)/\(page)"), page)
        }
        for id in 1...5 {
            for method in ["window", "slice", "volume", "volume-body", "clahe"] {
                let r = try runLits(["enhance", data, "--case", "\(id)", "--method", method, "--out", "\(work)/e\(id)-\(method).nii"])
                XCTAssertTrue(r.status == 0 || r.status == 1, "enhance \(id) \(method): status \(r.status): \(r.stderr)")
            }
            let r = try runLits(["preview", data, "--case", "\(id)", "--out", "\(work)/v\(id)"])
            XCTAssertTrue(r.status == 0 || r.status == 1, "preview \(id): status \(r.status): \(r.stderr)")
            if r.status == 0 { XCTAssertTrue(FileManager.default.fileExists(atPath: "\(work)/v\(id)/index.md")) }
        }
    }

    /// A rerun that cannot finish its report (a third case on a full disk) leaves no report of the
    /// earlier run's cases: the page is written last and an earlier one is removed first.
    func testARerunThatFailsLeavesNoStaleReport() throws {
        let data = try makeTempDir(self), disk = try makeSmallDisk(self, megabytes: 4)
        try writePhantomCase(dir: data, id: 1, shape: [64, 64, 24])
        for command in ["eda", "qa"] {
            let out = "\(disk)/\(command)"
            var r = try runLits([command, data, "--out", out])
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/index.md"), r.stderr)
            try writePhantomCase(dir: data, id: 2, shape: [64, 64, 24], spacing: [1, 1, 3])
            try fillDisk(disk, leaveKilobytes: 0)
            r = try runLits([command, data, "--out", out, "--threads", "1"])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("no space left on the device"), r.stderr)
            if FileManager.default.fileExists(atPath: "\(out)/index.md") {
                // Only a finished report of this run, which says so.
                XCTAssertTrue(r.stdout.contains("report: \(out)/index.md"), "\(command): a page left by the earlier run\n\(r.stdout)\(r.stderr)")
            }
            for name in ["data/summary.json", "data/qa.json"] where !FileManager.default.fileExists(atPath: "\(out)/index.md") {
                XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/\(name)"), "\(command): \(name) of the earlier run left")
            }
            try FileManager.default.removeItem(atPath: "\(disk)/.filler")
            for name in ["volume-2.nii.gz", "segmentation-2.nii.gz"] { try FileManager.default.removeItem(atPath: "\(data)/\(name)") }
        }
    }
}
