import Foundation
import XCTest
import LiTSCore

/// Issue 26 (reliability, round three), area E, through the real `lits` executable: a FIFO, a
/// corrupted magic, a lying bitpix, a full disk (a real tmpfs), a 247-byte output name and the
/// files dataset discovery skips.
final class CoreReliabilityCommandTests: XCTestCase {
    /// `lits ARGS`, killed after `seconds` so that a hang fails the test instead of the suite.
    func runLitsKilled(_ args: [String], killAfter seconds: Double) throws -> (CLIResult, hung: Bool) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: litsExecutable())
        p.arguments = args
        let done = DispatchSemaphore(value: 0)
        let box = CLIResultBox()
        DispatchQueue.global().async {
            box.set(try? runCapturing(p))
            done.signal()
        }
        var hung = false
        if done.wait(timeout: .now() + seconds) == .timedOut {
            hung = true
            kill(p.processIdentifier, SIGKILL)
            done.wait()
        }
        return (try XCTUnwrap(box.get()), hung)
    }

    /// A phantom case and a FIFO named `volume-1.nii`: `lits info` blocked forever in open().
    /// Now the FIFO is refused with one line and the other case is still listed.
    func testInfoRefusesAFIFONamedLikeAVolume() throws {
        let data = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 2)
        XCTAssertEqual(mkfifo("\(data)/volume-1.nii", 0o644), 0)
        let (r, hung) = try runLitsKilled(["info", data], killAfter: 20)
        XCTAssertFalse(hung, "lits info blocked on a FIFO")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(errorLines(r).first, "lits: error: \(data)/volume-1.nii: is a named pipe (FIFO), not a regular file; refusing to read it", r.stderr)
        XCTAssertTrue(r.stdout.contains("40x32x20"), "case 2 is still listed: \(r.stdout)")
    }

    /// "n+1\0" changed to "x+1\0" in a file whose sform says RAS was read as Analyze (LAS, no
    /// warning): a silent left-right flip. Now one error line names the file and the magic.
    func testCorruptedMagicIsAnError() throws {
        let data = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, ext: "nii")
        let v = "\(data)/volume-1.nii"
        try patch(v, at: 344, Array("x+1\0".utf8))
        let r = try runLits(["info", v])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(errorLines(r).first, "lits: error: \(v): not a valid NIfTI-1 file: magic is \"x+1\\x00\", expected \"n+1\\x00\"", r.stderr)
        XCTAssertFalse(r.stdout.contains("LAS"), r.stdout)
    }

    /// A bitpix that disagrees with the datatype was refused (a regression): nibabel reads it
    /// and so do we, with one warning line.
    func testBitpixThatDisagreesIsAWarning() throws {
        let data = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, ext: "nii")
        let v = "\(data)/volume-1.nii"
        try patch(v, at: 72, withUnsafeBytes(of: Int16(32).littleEndian) { Array($0) })  // int16 data
        let r = try runLits(["info", v])
        XCTAssertEqual(r.status, 0, r.stderr)
        let warnings = r.stderr.split(separator: "\n").filter { $0.contains("warning") }
        XCTAssertEqual(warnings, ["lits: warning: \(v): bitpix 32 disagrees with datatype int16 (16 bits); the datatype is used"], r.stderr)
    }

    /// A full disk (a real tmpfs filled up) was reported as "cannot write file (folder missing or
    /// not writable)". Every command and writer now says "no space left on the device" and
    /// leaves no temporary behind.
    func testFullDiskSaysNoSpaceLeft() throws {
        let data = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        let disk = try makeSmallDisk(self, megabytes: 4)
        try fillDisk(disk, leaveKilobytes: 64)
        // The phantom's gzip output is smaller than 64 KiB: a disk with nothing left for it.
        let fullDisk = try makeSmallDisk(self, megabytes: 1)
        try fillDisk(fullDisk, leaveKilobytes: 0)
        let runs: [[String]] = [
            ["preprocess", data, "--out", "\(disk)/pre"],
            ["eda", data, "--out", "\(disk)/eda"],
            ["enhance", data, "--method", "slice", "--out", "\(disk)/e.nii"],
            ["enhance", data, "--method", "slice", "--out", "\(fullDisk)/e.nii.gz"],
        ]
        for args in runs {
            let r = try runLits(args)
            XCTAssertNotEqual(r.status, 0, args.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains("no space left on the device"), "\(args.joined(separator: " ")): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("not writable"), r.stderr)
        }
        // The writers themselves, each path: plain NIfTI, gzip NIfTI, .npy (through AtomicFile).
        let ct = Volume<Float>(grid: Grid(shape: [64, 64, 64], spacing: [1, 1, 1], affine: .diagonal(spacing: [1, 1, 1])), repeating: 1)
        let writes: [(String, () throws -> Void)] = [
            ("\(disk)/v.nii", { try NIfTIWriter.write(ct, to: "\(disk)/v.nii") }),
            ("\(disk)/v.nii.gz", { try NIfTIWriter.write(ct.map { _ in Float.random(in: 0...1) }, to: "\(disk)/v.nii.gz") }),
            ("\(disk)/v.npy", { try NPY.write(ct, to: "\(disk)/v.npy") }),
        ]
        for (path, write) in writes {
            XCTAssertThrowsError(try write()) { error in
                XCTAssertEqual((error as? LiTSError)?.path, path)
                XCTAssertTrue("\(error)".hasSuffix("no space left on the device"), "\(error)")
            }
        }
        var left: [String] = []
        for folder in [disk, fullDisk] {
            let walker = FileManager.default.enumerator(atPath: folder)
            while let name = walker?.nextObject() as? String {
                if name.contains(".tmp-") { left.append(name) }
            }
        }
        XCTAssertEqual(left, [], "no temporary left on the full disks")
    }

    /// A valid 247-byte output name failed: its hidden temporary passed 255 bytes.
    func testLongOutputNameWorks() throws {
        let data = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        let out = try makeTempDir(self) + "/" + String(repeating: "n", count: 240) + ".nii.gz"
        XCTAssertEqual(URL(fileURLWithPath: out).lastPathComponent.utf8.count, 247)
        let r = try runLits(["enhance", data, "--method", "slice", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
    }

    /// A dangling `volume-9.nii` link, a folder named `volume-3.nii` and an MSD training image
    /// without its label were passed over in silence; each now gets a warning line.
    func testSkippedFilesAreNamed() throws {
        let data = try makeTempDir(self)
        try writePhantomCase(dir: data + "/lits", id: 2)
        try FileManager.default.createSymbolicLink(atPath: "\(data)/lits/volume-9.nii", withDestinationPath: "\(data)/gone.nii")
        try FileManager.default.createDirectory(atPath: "\(data)/lits/volume-3.nii", withIntermediateDirectories: true)
        try writePhantomCase(dir: data + "/msd/imagesTr", id: 5)
        try FileManager.default.moveItem(atPath: "\(data)/msd/imagesTr/volume-5.nii.gz", toPath: "\(data)/msd/imagesTr/liver_5.nii.gz")
        try FileManager.default.removeItem(atPath: "\(data)/msd/imagesTr/segmentation-5.nii.gz")
        let r = try runLits(["info", data])
        XCTAssertEqual(r.status, 0, r.stderr)
        let warnings = r.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("lits: warning: ") }
        XCTAssertEqual(warnings, [
            "lits: warning: \(data)/lits/volume-3.nii: a folder named like a case file; not read as a case",
            "lits: warning: \(data)/lits/volume-9.nii: symbolic link to something that does not exist; not read",
            "lits: warning: \(data)/msd/imagesTr/liver_5.nii.gz: MSD training image without its label labelsTr/liver_5.nii.gz; read as a case without labels",
        ], r.stderr)
    }

    func patch(_ path: String, at offset: Int, _ bytes: [UInt8]) throws {
        var data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        data.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        try Data(data).write(to: URL(fileURLWithPath: path))
    }
}

/// A CLI result handed from another thread.
final class CLIResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: CLIResult?
    func set(_ r: CLIResult?) { lock.lock(); result = r; lock.unlock() }
    func get() -> CLIResult? { lock.lock(); defer { lock.unlock() }; return result }
}
