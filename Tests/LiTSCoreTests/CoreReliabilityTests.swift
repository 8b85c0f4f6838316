import Foundation
import XCTest
@testable import LiTSCore

/// Issue 26 (reliability, round three), area E: NIfTI magic, bitpix, non-regular files, long
/// output names and the files dataset discovery skips. Real files, real FIFOs, real links.
final class CoreReliabilityTests: XCTestCase {
    var dir = ""
    let lines = LineCollector()

    override func setUpWithError() throws {
        dir = try makeTempDir(self)
        let lines = self.lines
        LiTSWarnings.handler = { lines.add($0) }
    }

    override func tearDown() {
        LiTSWarnings.handler = { FileHandle.standardError.write(Data("lits: warning: \($0)\n".utf8)) }
    }

    /// A phantom int16 volume with an RAS sform (sform_code 1).
    func writeRAS(_ name: String, format: NIfTIFormat = .nifti1) throws -> String {
        let (ct, _) = phantom(shape: [8, 6, 4], affine: .diagonal(spacing: [1.5, 1.5, 2.5]))
        let path = "\(dir)/\(name)"
        try NIfTIWriter.write(ct.map { Int16($0) }, to: path, format: format)
        return path
    }

    // MARK: item 1, a corrupted magic

    /// libnifti reads a .nii whose magic is not "n+1" as Analyze 7.5 and ignores its sform:
    /// an RAS file came out LAS (a silent left-right flip). nibabel refuses it; so do we.
    func testCorruptedMagicIsRefusedNotReadAsAnalyze() throws {
        let v1 = try writeRAS("volume-1.nii")
        XCTAssertEqual(try NIfTIReader.readSource(path: v1).grid.axisCodes, "RAS")
        try patch(v1, at: 344, Array("x+1\0".utf8))
        expectError(.invalidHeader, path: v1, containing: "magic is \"x+1\\x00\", expected \"n+1\\x00\"") {
            _ = try NIfTIReader.readFloat(path: v1)
        }
        let v2 = try writeRAS("volume-2.nii", format: .nifti2)
        try patch(v2, at: 4, Array("x+2\0".utf8))
        expectError(.invalidHeader, path: v2, containing: "magic is \"x+2\\x00\", expected \"n+2\\x00\"") {
            _ = try NIfTIReader.readSource(path: v2)
        }
        // A .hdr/.img pair's header magic in a single file.
        let v3 = try writeRAS("volume-3.nii")
        try patch(v3, at: 344, Array("ni1\0".utf8))
        expectError(.invalidHeader, path: v3, containing: ".hdr/.img pair") { _ = try NIfTIReader.readSource(path: v3) }
    }

    // MARK: item 2, bitpix that disagrees with the datatype

    /// nibabel ignores bitpix (the datatype decides); a file whose bitpix lies is read, with one
    /// warning line.
    func testBitpixThatDisagreesIsReadWithAWarning() throws {
        let v = try writeRAS("volume-4.nii")
        let expected = try NIfTIReader.readFloat(path: v).0.voxels
        XCTAssertEqual(lines.all, [])
        try patch(v, at: 72, withUnsafeBytes(of: Int16(32).littleEndian) { Array($0) })
        let (read, source) = try NIfTIReader.readFloat(path: v)
        XCTAssertEqual(read.voxels, expected)
        let warning = "\(v): bitpix 32 disagrees with datatype int16 (16 bits); the datatype is used"
        XCTAssertEqual(source.warnings, [warning])
        XCTAssertEqual(lines.all, [warning])
    }

    /// A segmentation's header was read twice when a case loaded: each warning came twice.
    func testSegmentationWarningIsGivenOnce() throws {
        let (ct, labels) = phantom(shape: [8, 6, 4])
        try NIfTIWriter.write(ct, to: "\(dir)/volume-1.nii")
        let seg = "\(dir)/segmentation-1.nii"
        try NIfTIWriter.write(labels, to: seg)
        try patch(seg, at: 72, withUnsafeBytes(of: Int16(16).littleEndian) { Array($0) })  // uint8 data
        let loaded = try CaseLoader.load(try Dataset.selectCase(dir, id: "1"))
        XCTAssertEqual(loaded.labels?.voxels.filter { $0 > 0 }.count, labels.voxels.filter { $0 > 0 }.count)
        XCTAssertEqual(lines.all, ["\(seg): bitpix 16 disagrees with datatype uint8 (8 bits); the datatype is used"])
    }

    // MARK: item 3, a FIFO or other non-regular file

    /// Opening a FIFO blocks until a writer comes: `lits info` hung forever. It is refused with
    /// its kind named. A regression fails after 20 s instead of hanging (the FIFO is then opened
    /// for writing, which releases the blocked reader).
    func testFIFOIsRefusedWithoutBlocking() throws {
        let fifo = "\(dir)/volume-1.nii"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        DispatchQueue.global().async {
            do { _ = try NIfTIReader.readFloat(path: fifo); result.set(nil) } catch { result.set(error) }
            done.signal()
        }
        if done.wait(timeout: .now() + 20) == .timedOut {
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
            _ = done.wait(timeout: .now() + 20)
            return XCTFail("reading a FIFO blocked")
        }
        let e = try XCTUnwrap(result.get() as? LiTSError, "reading a FIFO must fail")
        XCTAssertEqual(e.kind, .unsupported)
        XCTAssertEqual(e.description, "\(fifo): is a named pipe (FIFO), not a regular file; refusing to read it")
        // A folder or a device under a NIfTI name, and a dangling link, get one line too.
        let folder = "\(dir)/volume-2.nii"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        expectError(.unsupported, path: folder, containing: "is a folder") { _ = try NIfTIReader.readSource(path: folder) }
        expectError(.unsupported, path: "/dev/null", containing: "is a character device") { _ = try NIfTIHeader.read(path: "/dev/null") }
        let link = "\(dir)/volume-3.nii"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "\(dir)/gone.nii")
        expectError(.notFound, path: link, containing: "symbolic link to a file that does not exist") { _ = try NIfTIReader.readSource(path: link) }
    }

    /// The other readers of user files (.npy, .mrc, JSON) refuse a FIFO too instead of blocking.
    func testOtherReadersRefuseAFIFO() throws {
        let readers: [(String, @Sendable (String) throws -> Void)] = [
            ("a.npy", { _ = try NPY.read(path: $0) }),
            ("a.mrc", { _ = try MRC.read(path: $0) }),
            ("a.json", { _ = try JSONFile.read([String: Int].self, from: $0) }),
        ]
        for (name, read) in readers {
            let fifo = "\(dir)/\(name)"
            XCTAssertEqual(mkfifo(fifo, 0o644), 0)
            let done = DispatchSemaphore(value: 0)
            let result = ResultBox()
            DispatchQueue.global().async {
                do { try read(fifo); result.set(nil) } catch { result.set(error) }
                done.signal()
            }
            if done.wait(timeout: .now() + 20) == .timedOut {
                let fd = open(fifo, O_WRONLY | O_NONBLOCK)
                if fd >= 0 { close(fd) }
                _ = done.wait(timeout: .now() + 20)
                XCTFail("reading \(name) blocked on a FIFO")
                continue
            }
            XCTAssertEqual((result.get() as? LiTSError)?.description,
                           "\(fifo): is a named pipe (FIFO), not a regular file; refusing to read it")
        }
    }

    // MARK: item 5, long output names

    /// The hidden temporary of a 247-byte name was 270 bytes, past the 255 the file system
    /// takes: a valid output name failed. Every name that fits works now.
    func testLongestOutputNamesCanBeWritten() throws {
        let json = "\(dir)/" + String(repeating: "a", count: 242) + ".json"
        try AtomicFile.write("{}", to: json)
        XCTAssertEqual(FileManager.default.contents(atPath: json), Data("{}".utf8))
        let nifti = "\(dir)/" + String(repeating: "b", count: 240) + ".nii.gz"
        let (ct, _) = phantom(shape: [8, 6, 4])
        try NIfTIWriter.write(ct, to: nifti)
        XCTAssertEqual(try NIfTIReader.readFloat(path: nifti).0.voxels, ct.voxels)
        let npy = "\(dir)/" + String(repeating: "c", count: 251) + ".npy"
        try NPY.write(ct, to: npy)
        XCTAssertTrue(FileManager.default.fileExists(atPath: npy))
        let contents = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(contents.filter { $0.contains(".tmp-") }, [], "no temporary left")
    }

    /// Temporaries of long names keep their extension, fit in 255 bytes and are still recognised
    /// as a killed run's (and removed) by the next run into the folder.
    func testTemporariesOfLongNamesAreRecognisedWhenStale() throws {
        for name in [String(repeating: "x", count: 248) + ".nii.gz", String(repeating: "é", count: 125) + ".png",
                     "a." + String(repeating: "e", count: 253), "state.json"] {
            let temp = AtomicFile.temporaryName(for: name)
            XCTAssertLessThanOrEqual(temp.utf8.count, 120, temp)
            XCTAssertTrue(temp.hasPrefix("."), temp)
            XCTAssertTrue(temp.contains(".tmp-\(getpid())-"), temp)
            XCTAssertFalse(TempFiles.isStale(temp), "a live run's temporary")
        }
        XCTAssertTrue(AtomicFile.temporaryName(for: String(repeating: "x", count: 248) + ".nii.gz").hasSuffix(".nii.gz"))
        XCTAssertTrue(AtomicFile.temporaryName(for: "state.json").hasPrefix(".state.tmp-"), "short names keep their stem")
        try OutputFolder.prepare(dir, inputs: [], command: "lits eda")
        // pid 2^22 + 1 is above Linux's default pid_max: no such process.
        let dead = AtomicFile.temporaryName(for: String(repeating: "x", count: 248) + ".nii.gz")
            .replacingOccurrences(of: ".tmp-\(getpid())-", with: ".tmp-4194305-")
        FileManager.default.createFile(atPath: "\(dir)/\(dead)", contents: Data("x".utf8))
        try OutputFolder.prepare(dir, inputs: [], command: "lits eda")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/\(dead)"), "a killed run's temporary is removed")
    }

    // MARK: item 6, files discovery skipped in silence

    /// A dangling `volume-9.nii` link, a folder named `volume-1.nii`, an MSD training image
    /// without its label: each gets a warning line naming it, and `Dataset.scan` lists them.
    func testDiscoveryWarnsAboutWhatItSkips() throws {
        let data = "\(dir)/data"
        for sub in ["lits", "lits/volume-1.nii", "msd/imagesTr", "msd/labelsTr"] {
            try FileManager.default.createDirectory(atPath: "\(data)/\(sub)", withIntermediateDirectories: true)
        }
        let (ct, labels) = phantom(shape: [8, 6, 4])
        try NIfTIWriter.write(ct, to: "\(data)/lits/volume-2.nii")
        try NIfTIWriter.write(labels, to: "\(data)/lits/segmentation-2.nii")
        try FileManager.default.createSymbolicLink(atPath: "\(data)/lits/volume-9.nii", withDestinationPath: "\(dir)/gone.nii")
        try NIfTIWriter.write(ct, to: "\(data)/msd/imagesTr/liver_5.nii.gz")
        try NIfTIWriter.write(ct, to: "\(data)/msd/imagesTr/liver_6.nii.gz")
        try NIfTIWriter.write(labels, to: "\(data)/msd/labelsTr/liver_6.nii.gz")

        let found = try Dataset.scan([data])
        XCTAssertEqual(found.cases.map(\.id), ["2", "5", "6"])
        XCTAssertEqual(found.skipped.map(\.path), ["\(data)/lits/volume-1.nii", "\(data)/lits/volume-9.nii", "\(data)/msd/imagesTr/liver_5.nii.gz"])
        XCTAssertEqual(lines.all, [], "scan itself does not warn")

        let cases = try Dataset.discover(data)
        XCTAssertEqual(cases, found.cases)
        XCTAssertEqual(lines.all, [
            "\(data)/lits/volume-1.nii: a folder named like a case file; not read as a case",
            "\(data)/lits/volume-9.nii: symbolic link to something that does not exist; not read",
            "\(data)/msd/imagesTr/liver_5.nii.gz: MSD training image without its label labelsTr/liver_5.nii.gz; read as a case without labels",
        ])
    }

    /// A folder whose only case file is a dangling link says so before "no cases found".
    func testDanglingLinksAreNamedBeforeNoCases() throws {
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/volume-9.nii", withDestinationPath: "\(dir)/gone.nii")
        XCTAssertThrowsError(try Dataset.discover(dir)) { XCTAssertEqual(($0 as? LiTSError)?.kind, .noCases) }
        XCTAssertEqual(lines.all, ["\(dir)/volume-9.nii: symbolic link to something that does not exist; not read"])
    }
}

/// Warning lines collected from any thread.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

/// The outcome of work on another thread.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?
    func set(_ e: Error?) { lock.lock(); error = e; lock.unlock() }
    func get() -> Error? { lock.lock(); defer { lock.unlock() }; return error }
}
