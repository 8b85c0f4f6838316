import Foundation
import XCTest
@testable import LiTSCore

/// Output folders are marked, locked, and never a folder of the user's.
final class OutputFolderTests: XCTestCase {
    func testMarkerNamesToolCommandAndVersionAndGuardsTheFolder() throws {
        let dir = try makeTempDir(self)
        let out = "\(dir)/report"
        try OutputFolder.prepare(out, inputs: [], command: "lits eda")
        let marker = try JSONDecoder().decode(OutputFolder.Marker.self,
                                              from: Data(contentsOf: URL(fileURLWithPath: "\(out)/.litskit.json")))
        XCTAssertEqual(marker.tool, "LiTSKit")
        XCTAssertEqual(marker.command, "lits eda")
        XCTAssertEqual(marker.version, LiTSKitVersion.current)
        // The same command continues in its folder (a rerun after Ctrl-C) even with files in it.
        FileManager.default.createFile(atPath: "\(out)/index.md", contents: Data("# report".utf8))
        XCTAssertNoThrow(try OutputFolder.prepare(out, inputs: [], command: "lits eda"))
        // Another command does not mix its output into it.
        XCTAssertThrowsError(try OutputFolder.prepare(out, inputs: [], command: "lits predict")) { e in
            XCTAssertTrue("\(e)".contains("holds the output of `lits eda`"), "\(e)")
        }
    }

    func testAForeignIndexIsNeverTakenForOurs() throws {
        let dir = try makeTempDir(self)
        FileManager.default.createFile(atPath: "\(dir)/index.md", contents: Data("# my thesis".utf8))
        XCTAssertThrowsError(try OutputFolder.prepare(dir, inputs: [], command: "lits eda")) { e in
            XCTAssertTrue("\(e)".contains("was not written by LiTSKit"), "\(e)")
        }
        XCTAssertEqual(try String(contentsOfFile: "\(dir)/index.md", encoding: .utf8), "# my thesis")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/.litskit.json"))
        // A marker that is not ours is refused too.
        let other = try makeTempDir(self)
        FileManager.default.createFile(atPath: "\(other)/.litskit.json", contents: Data("{}".utf8))
        XCTAssertThrowsError(try OutputFolder.prepare(other, inputs: [], command: "lits eda"))
    }

    func testASecondWriterIsRefusedWithTheHolderNamed() throws {
        let dir = try makeTempDir(self)
        // Another process's lock: a separate open file description holding flock, with its note.
        let lockPath = "\(dir)/.litskit.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT, 0o644)
        defer { close(fd) }
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        let note = "pid 4242, `lits preprocess`, started 2026-12-02T08:00:00Z"
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
        XCTAssertThrowsError(try OutputFolder.prepare(dir, inputs: [], command: "lits preprocess")) { e in
            XCTAssertTrue("\(e)".contains("another run is writing into this folder (pid 4242, `lits preprocess`"), "\(e)")
        }
        XCTAssertEqual(flock(fd, LOCK_UN), 0)
        XCTAssertNoThrow(try OutputFolder.prepare(dir, inputs: [], command: "lits preprocess"))
    }

    func testTemporariesOfDeadRunsAreRemovedAndLiveOnesKept() throws {
        let dir = try makeTempDir(self)
        try OutputFolder.prepare(dir, inputs: [], command: "lits eda")
        try FileManager.default.createDirectory(atPath: "\(dir)/data", withIntermediateDirectories: true)
        // pid 2^22 + 1 is above Linux's default pid_max: no such process.
        let dead = "\(dir)/data/.cases.tmp-4194305-77.csv"
        let live = "\(dir)/data/.cases.tmp-\(getpid())-78.csv"
        for p in [dead, live] { FileManager.default.createFile(atPath: p, contents: Data("x".utf8)) }
        try OutputFolder.prepare(dir, inputs: [], command: "lits eda")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead))
        XCTAssertTrue(FileManager.default.fileExists(atPath: live))
    }

    func testInterruptedWritesLeaveNoTemporary() throws {
        let dir = try makeTempDir(self)
        struct Stop: Error {}
        XCTAssertThrowsError(try AtomicFile.write(to: "\(dir)/a.json") { temp in
            FileManager.default.createFile(atPath: temp, contents: Data("half".utf8))
            // What a signal handler would do while the write is in progress.
            TempFiles.inProgress.unlinkAll()
            XCTAssertFalse(FileManager.default.fileExists(atPath: temp))
            throw Stop()
        })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }
}

final class DatasetLinkTests: XCTestCase {
    /// A dataset given as a symbolic link, with a link loop inside it.
    func testSymlinkedFoldersAreFollowedOnce() throws {
        let dir = try makeTempDir(self)
        let (ct, labels) = phantom(shape: [8, 6, 4])
        try FileManager.default.createDirectory(atPath: "\(dir)/real/nested", withIntermediateDirectories: true)
        try NIfTIWriter.write(ct, to: "\(dir)/real/nested/volume-3.nii")
        try NIfTIWriter.write(labels, to: "\(dir)/real/nested/segmentation-3.nii")
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/link", withDestinationPath: "\(dir)/real")
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/real/nested/loop", withDestinationPath: "\(dir)/real")
        let cases = try Dataset.discover("\(dir)/link")
        XCTAssertEqual(cases.map(\.id), ["3"])
        XCTAssertNotNil(cases[0].segmentationPath)
    }
}

final class GridAgreementTests: XCTestCase {
    /// Same shape and axis codes, origin 50 mm away: another grid.
    func testASegmentationElsewhereIsRefusedWithBothAffines() throws {
        let dir = try makeTempDir(self)
        let (ct, labels) = phantom(shape: [8, 6, 4])
        try NIfTIWriter.write(ct, to: "\(dir)/volume-1.nii")
        let moved = Affine.diagonal(spacing: [-1.5, -1.5, 2.5], origin: [50, 0, 0])
        try NIfTIWriter.write(LabelMap(grid: Grid(shape: [8, 6, 4], spacing: [1.5, 1.5, 2.5], affine: moved), voxels: labels.voxels),
                              to: "\(dir)/segmentation-1.nii")
        let c = try Dataset.discover(dir)[0]
        XCTAssertThrowsError(try CaseLoader.load(c)) { e in
            let text = "\(e)"
            XCTAssertTrue(text.hasPrefix("\(dir)/segmentation-1.nii: affine [[-1.5, 0, 0, 50]"), text)
            XCTAssertTrue(text.contains("origins 50 mm apart"), text)
        }
        // Within tolerance (float rounding of a writer) it is the same grid.
        let nudged = Affine.diagonal(spacing: [-1.5, -1.5, 2.5], origin: [1e-5, 0, 0])
        try NIfTIWriter.write(LabelMap(grid: Grid(shape: [8, 6, 4], spacing: [1.5, 1.5, 2.5], affine: nudged), voxels: labels.voxels),
                              to: "\(dir)/segmentation-1.nii")
        XCTAssertNoThrow(try CaseLoader.load(c))
    }
}
