import Foundation
import XCTest
import LiTSCore

/// Runs the built `lits` executable (it sits beside the test bundle) and captures its output.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

func litsExecutable() -> String {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var dir = testBinary.deletingLastPathComponent()
    if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
    return dir.appendingPathComponent("lits").path
}

/// Runs `lits args...` with `environment` added to this process's. Slurm's job array variables
/// are left out unless given, so a suite run inside an array task tests what it tests anywhere.
@discardableResult
func runLits(_ args: [String], environment: [String: String] = [:]) throws -> CLIResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: litsExecutable())
    p.arguments = args
    // No backtracer: after a crash it can outlive the child with the pipes open and hang the test.
    p.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLURM_ARRAY_") }
        .merging(["SWIFT_BACKTRACE": "enable=no"]) { _, ours in ours }
        .merging(environment) { _, given in given }
    return try runCapturing(p)
}

/// Every file under `dir` (but the folder marker and lock, which hold times and pids) and its bytes.
func folderContents(_ dir: String) -> [String: Data] {
    var files: [String: Data] = [:]
    let e = FileManager.default.enumerator(atPath: dir)!
    while let name = e.nextObject() as? String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: "\(dir)/\(name)", isDirectory: &isDir), !isDir.boolValue,
              !name.hasSuffix(".litskit.json"), !name.hasSuffix(".litskit.lock") else { continue }
        files[name] = FileManager.default.contents(atPath: "\(dir)/\(name)")
    }
    return files
}

/// The two folders hold the same files with the same bytes (paths of their own folder inside
/// a file aside).
func assertSameFolders(_ one: String, _ two: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    let a = folderContents(one), b = folderContents(two)
    XCTAssertFalse(a.isEmpty, what, file: file, line: line)
    XCTAssertEqual(a.keys.sorted(), b.keys.sorted(), what, file: file, line: line)
    for (name, data) in a where b[name] != data {
        // Paths inside manifests and records name their own folder.
        let x = String(decoding: data, as: UTF8.self).replacingOccurrences(of: one, with: "OUT")
        let y = String(decoding: b[name] ?? Data(), as: UTF8.self).replacingOccurrences(of: two, with: "OUT")
        XCTAssertEqual(x, y, "\(what): \(name) differs", file: file, line: line)
    }
}

/// Runs `p` to its end with its standard output and error captured.
func runCapturing(_ p: Process) throws -> CLIResult {
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    // Read before waiting so a full pipe cannot block the child.
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

func makeTempDir(_ test: XCTestCase) throws -> String {
    let dir = NSTemporaryDirectory() + "litskit-cli-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

/// An LPS phantom case: air, a body, a liver ellipsoid (label 1) towards the patient's right
/// (low i in LPS) and the upper half (high k), and a tumor sphere (label 2) inside it.
func writePhantomCase(dir: String, id: Int, shape: [Int] = [40, 32, 20], spacing: [Double] = [1.2, 1.2, 4],
                      labelOverride: ((inout LabelMap) -> Void)? = nil, ext: String = "nii.gz") throws {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let affine = Affine.diagonal(spacing: [-spacing[0], -spacing[1], spacing[2]], origin: [100, 80, -200])
    let grid = Grid(shape: shape, spacing: spacing, affine: affine)
    var ct = Volume<Float>(grid: grid, repeating: -1000)
    var labels = LabelMap(grid: grid, repeating: 0)
    for k in 0..<shape[2] { for j in 0..<shape[1] { for i in 0..<shape[0] {
        let x = Double(i) / Double(shape[0]) - 0.5, y = Double(j) / Double(shape[1]) - 0.5, z = Double(k) / Double(shape[2]) - 0.5
        if x * x + y * y < 0.2 { ct[i, j, k] = 30 }
        let lx = (x + 0.15) / 0.2, ly = y / 0.25, lz = (z - 0.1) / 0.3
        if lx * lx + ly * ly + lz * lz < 1 { ct[i, j, k] = 80; labels[i, j, k] = 1 }
        let tx = (x + 0.15) / 0.06, ty = y / 0.08, tz = (z - 0.1) / 0.15
        if tx * tx + ty * ty + tz * tz < 1 { ct[i, j, k] = 30; labels[i, j, k] = 2 }
    } } }
    labelOverride?(&labels)
    try NIfTIWriter.write(ct.map { Int16($0) }, to: "\(dir)/volume-\(id).\(ext)")
    try NIfTIWriter.write(labels, to: "\(dir)/segmentation-\(id).\(ext)")
}

/// Every stderr line that is an error must be a single "lits: error: ..." line.
func errorLines(_ r: CLIResult) -> [String] {
    r.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("lits: error:") }
}

/// A real small file system (a tmpfs of `megabytes`, mounted under a fresh temporary folder and
/// unmounted when the test ends), to fill up for "no space left on the device" tests. Needs root
/// (mount); the test is skipped where it is not root or mounting is not allowed.
func makeSmallDisk(_ test: XCTestCase, megabytes: Int) throws -> String {
    try XCTSkipUnless(getuid() == 0, "mounting a small tmpfs needs root")
    let dir = NSTemporaryDirectory() + "litskit-small-disk-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let mount = Process()
    mount.executableURL = URL(fileURLWithPath: "/bin/mount")
    mount.arguments = ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", dir]
    let r = try runCapturing(mount)
    if r.status != 0 {
        try? FileManager.default.removeItem(atPath: dir)
        throw XCTSkip("cannot mount a tmpfs here: \(r.stderr)")
    }
    test.addTeardownBlock {
        let umount = Process()
        umount.executableURL = URL(fileURLWithPath: "/bin/umount")
        umount.arguments = [dir]
        _ = try? runCapturing(umount)
        try? FileManager.default.removeItem(atPath: dir)
    }
    return dir
}

/// Fills the file system holding `dir` up to its last `leaveKilobytes`, with one filler file.
func fillDisk(_ dir: String, leaveKilobytes: Int) throws {
    var st = statvfs()
    guard statvfs(dir, &st) == 0 else { throw CocoaError(.fileReadUnknown) }
    let free = Int(st.f_bavail) * Int(st.f_frsize)
    let size = max(0, free - leaveKilobytes * 1024)
    let fd = open("\(dir)/.filler", O_CREAT | O_WRONLY, 0o644)
    defer { close(fd) }
    let chunk = [UInt8](repeating: 0, count: 1 << 16)
    var left = size
    while left > 0 {
        let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, min(left, chunk.count)) }
        if n <= 0 { break }
        left -= n
    }
}

/// A CSV file as rows of fields (a quoted field may hold commas and doubled quotes).
func csvRows(_ path: String) throws -> [[String]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var rows: [[String]] = [], field = "", row: [String] = [], quoted = false
    var chars = Array(text)[...]
    while let c = chars.popFirst() {
        if quoted {
            if c == "\"" { if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false } } else { field.append(c) }
        } else if c == "\"" { quoted = true } else if c == "," { row.append(field); field = "" } else if c == "\n" {
            row.append(field); rows.append(row); row = []; field = ""
        } else { field.append(c) }
    }
    return rows
}

/// The field `name` of case `id` (rows from `csvRows`; nil when either is missing).
func column(_ rows: [[String]], _ name: String, case id: String) -> String? {
    guard let n = rows[0].firstIndex(of: name) else { return nil }
    return rows.first { $0.first == id }.map { $0[n] }
}

/// A tiny trained run (`epochs` of two batches, one patch each) on phantom cases 1 and 2 written
/// into `data`; returns the run folder, `work`/run.
func trainTinyRun(epochs: Int = 2, data: String, work: String) throws -> String {
    try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
    try writePhantomCase(dir: data, id: 2, shape: [32, 32, 12])
    var r = try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"])
    XCTAssertEqual(r.status, 0, r.stderr)
    r = try runLits(["train", work + "/pre", "--out", work + "/run", "--patch", "16,16,8", "--filters", "4,8",
                     "--volumes-per-batch", "1", "--patches-per-volume", "1", "--epochs", String(epochs),
                     "--batches-per-epoch", epochs == 1 ? "1" : "2"])
    XCTAssertEqual(r.status, 0, r.stderr)
    return work + "/run"
}
