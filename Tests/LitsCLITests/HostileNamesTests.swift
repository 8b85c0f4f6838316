import Foundation
import XCTest
import LiTSCore

/// Output paths and titles are user strings: quotes, backslashes, newlines and shell or gnuplot
/// syntax in them must neither break a report nor run anything (issue 13: `--out "X/';system(...);'"`
/// ran a shell command through gnuplot's `-e`).
final class HostileNamesTests: XCTestCase {
    /// Exactly the injection that worked: the folder before the quote exists, so gnuplot's `cd` succeeded.
    static let gnuplotInjection = "';system('touch PWNED');'"
    /// Everything else at once: both quotes, a backslash, a newline, shell substitution.
    static let mixed = "q'uo\"te\\back\nline $(touch PWNED) `touch PWNED` ';system('touch PWNED');'"

    /// `touch PWNED` would create a file named PWNED (the hostile folder names only contain the word).
    func assertNoPWNED(in dirs: [String], file: StaticString = #filePath, line: UInt = #line) {
        for dir in dirs + [FileManager.default.currentDirectoryPath] {
            let paths = FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []
            let created = paths.filter { ($0 as NSString).lastPathComponent.hasPrefix("PWNED") }
            XCTAssertEqual(created, [], "a command ran in \(dir)", file: file, line: line)
        }
    }

    func assertCharts(_ out: String, _ names: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        for name in names {
            let png = try PNG_size(out + "/figures/\(name).png")
            XCTAssertGreaterThan(png, 0, name, file: file, line: line)
            let hidden = (try? FileManager.default.contentsOfDirectory(atPath: out + "/charts"))?.filter { $0.hasPrefix(".") } ?? []
            XCTAssertEqual(hidden, [], "no driver script is left behind", file: file, line: line)
        }
    }

    /// The PNG's size in bytes, after checking its signature.
    func PNG_size(_ path: String) throws -> Int {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(Array(data.prefix(4)), [0x89, 0x50, 0x4E, 0x47], path)
        return data.count
    }

    func testEdaWithHostileOutputPathsAndTitle() throws {
        let tmp = try makeTempDir(self), data = tmp + "/data"
        defer { assertNoPWNED(in: [tmp]) }
        try writePhantomCase(dir: data, id: 1)
        for name in [HostileNamesTests.gnuplotInjection, HostileNamesTests.mixed] {
            let out = tmp + "/" + name
            let r = try runLits(["eda", data, "--out", out, "--title", HostileNamesTests.mixed, "--threads", "1"])
            XCTAssertEqual(r.status, 0, r.stderr)
            try assertCharts(out, ["hu_histograms", "lesion_sizes", "lesion_3d", "lesions_per_region", "tumor_burden"])
            let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
            XCTAssertTrue(page.hasPrefix("# q'uo\"te\\back line $(touch PWNED)"), String(page.prefix(120)))
        }
    }

    func testEdaShardsMergeIntoAHostileFolder() throws {
        let tmp = try makeTempDir(self), data = tmp + "/data"
        defer { assertNoPWNED(in: [tmp]) }
        try writePhantomCase(dir: data, id: 1)
        try writePhantomCase(dir: data, id: 2)
        for i in 1...2 {
            let r = try runLits(["eda", data, "--out", tmp + "/shard\(i)" + HostileNamesTests.gnuplotInjection, "--shard", "\(i)/2"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let out = tmp + "/" + HostileNamesTests.mixed
        let r = try runLits(["eda", "merge", tmp + "/shard1" + HostileNamesTests.gnuplotInjection, tmp + "/shard2" + HostileNamesTests.gnuplotInjection,
                             "--out", out, "--title", HostileNamesTests.gnuplotInjection])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("(2 case(s) from 2 part(s))"), r.stdout)
        try assertCharts(out, ["hu_histograms", "tumor_burden"])
    }

    func testPreviewWithHostileOutputPaths() throws {
        let tmp = try makeTempDir(self), data = tmp + "/data"
        defer { assertNoPWNED(in: [tmp]) }
        try writePhantomCase(dir: data, id: 5)
        for name in [HostileNamesTests.gnuplotInjection, HostileNamesTests.mixed] {
            let out = tmp + "/" + name
            let r = try runLits(["preview", data, "--out", out, "--slices", "10", "--method", "window", "--method", "slice", "--window", "-160,240"])
            XCTAssertEqual(r.status, 0, r.stderr)
            try assertCharts(out, ["enhancement_metrics"])
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/montage--160_240.png"))
        }
    }

    func testEvaluateWithHostileOutputPathsAndTitle() throws {
        let tmp = try makeTempDir(self), truth = tmp + "/truth", pred = tmp + "/pred"
        defer { assertNoPWNED(in: [tmp]) }
        try writePhantomCase(dir: truth, id: 4)
        try writePhantomCase(dir: pred, id: 4)
        for name in [HostileNamesTests.gnuplotInjection, HostileNamesTests.mixed] {
            let out = tmp + "/" + name
            let r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", out, "--title", HostileNamesTests.mixed])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("case 4: liver Dice 1.0000"), r.stdout)
            try assertCharts(out, ["dice_per_region", "dice_profile", "detection_by_size", "case_dice"])
        }
        // --compare with hostile report folders.
        let out = tmp + "/compare" + HostileNamesTests.gnuplotInjection
        let r = try runLits(["evaluate", "--compare", tmp + "/" + HostileNamesTests.gnuplotInjection, tmp + "/" + HostileNamesTests.mixed, "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("| top |"), r.stdout)
    }
}
