import Foundation

/// Output folders: created or re-opened for one command, never inside an input, never a folder
/// of the user's. Each folder the tool writes carries a marker (`.litskit.json`: the tool, the
/// command, the version) and is locked (`flock` on `.litskit.lock`) for the life of the run, so
/// a second writer is refused with the holder's name and a rerun of the same command continues.
public enum OutputFolder {
    public static let markerFile = ".litskit.json"
    public static let lockFile = ".litskit.lock"

    /// What `.litskit.json` records.
    public struct Marker: Codable, Equatable, Sendable {
        public var tool = "LiTSKit"
        /// The kind of output, e.g. "lits eda", "lits eda --shard", "lits train".
        public var command: String
        public var version: String
        public var created: String
    }

    /// Absolute, symlink-resolved path (of the deepest existing ancestor for paths not yet created).
    public static func resolved(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var existing = url
        var tail: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path), existing.path != "/" {
            tail.insert(existing.lastPathComponent, at: 0)
            existing = existing.deletingLastPathComponent()
        }
        var out = existing.resolvingSymlinksInPath()
        for t in tail { out.appendPathComponent(t) }
        return out.path
    }

    /// Whether `path` is `folder` or lies below it.
    public static func isInside(_ path: String, _ folder: String) -> Bool {
        let p = resolved(path), f = resolved(folder)
        return p == f || p.hasPrefix(f.hasSuffix("/") ? f : f + "/")
    }

    /// Creates `out` if needed and claims it for `command`. Refuses an output inside (or equal to)
    /// any input folder or file, a folder that cannot be written, a non-empty folder without our
    /// marker, a folder another command wrote, and a folder another run is writing now.
    public static func prepare(_ out: String, inputs: [String], command: String) throws {
        for input in inputs {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDir) else { continue }
            // A dataset folder must not receive outputs; a single input file only must not be replaced.
            let inside = isDir.boolValue ? isInside(out, input) : resolved(out) == resolved(input)
            if inside {
                throw LiTSError(.invalidArgument, path: out, "output folder is inside the input \(input); choose a folder outside it")
            }
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDir) {
            guard isDir.boolValue else { throw LiTSError(.notWritable, path: out, "exists and is not a folder") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                FolderLocks.held.markCreated(out)
            } catch {
                let code = LiTSError.posixCode(of: error)
                guard code != 0 else { throw LiTSError(.notWritable, path: out, "cannot create folder (\((error as NSError).localizedDescription))") }
                throw LiTSError.writeFailed(out, "cannot create folder", errno: code)
            }
        }
        guard access(out, W_OK) == 0 else {
            throw LiTSError(.notWritable, path: out, "folder is not writable")
        }
        // Checked before the lock too, so a folder of the user's gets no lock file of ours.
        try claim(out, command: command, write: false)
        try FolderLocks.held.lock(out, command: command)
        try claim(out, command: command, write: true)
        removeStaleTemporaries(in: out)
    }

    /// Undoes `prepare` when `out` holds nothing but the marker and the lock this process put
    /// there: a run that failed before writing any output leaves no folder it created, and an
    /// empty folder that existed before is left empty, as it was. A folder that holds anything
    /// else, or that an earlier run marked, is left as it is.
    public static func removeIfUnused(_ out: String) {
        let created = FolderLocks.held.wasCreated(out)
        guard created || FolderLocks.held.wasMarked(out),
              let names = try? FileManager.default.contentsOfDirectory(atPath: out),
              Set(names).isSubset(of: [markerFile, lockFile]) else { return }
        unlink("\(out)/\(markerFile)")
        unlink("\(out)/\(lockFile)")
        FolderLocks.held.unlock(out)
        if created { rmdir(out) }
    }

    /// `removeIfUnused` for every folder this process created or marked: called when a command fails, so
    /// a run that failed before writing any output leaves no folder behind.
    public static func removeUnusedFoldersCreated() {
        for folder in FolderLocks.held.createdFolders() { removeIfUnused(folder) }
    }

    /// The marker of a folder an earlier `command` wrote, read to use or continue that output
    /// (`predict --run`, `train --resume`): a folder without one is refused (LiTSKit before 0.5.0,
    /// or not ours), and one from a newer LiTSKit gets a warning.
    public static func requireMarker(_ folder: String, command: String) throws -> Marker {
        let path = "\(folder)/\(markerFile)"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LiTSError(.unsupported, path: folder, "no \(markerFile): not a folder this LiTSKit wrote (or one from before 0.5.0); rerun `\(command)` into a new folder")
        }
        guard let marker = try? JSONDecoder().decode(Marker.self, from: data), marker.tool == "LiTSKit" else {
            throw LiTSError(.corrupt, path: path, "is not a LiTSKit folder marker")
        }
        guard marker.command == command else {
            throw LiTSError(.mismatch, path: folder, "holds the output of `\(marker.command)`, not of `\(command)`")
        }
        if LiTSKitVersion.isNewer(marker.version) {
            LiTSWarnings.emit("\(folder): written by LiTSKit \(marker.version), newer than this \(LiTSKitVersion.current); its files may not be read as that version meant")
        }
        return marker
    }

    /// Re-opens a folder to continue the run that wrote it (`train --resume`): its marker must
    /// name `command`, and it is locked as `prepare` locks, so a run still writing it refuses us.
    public static func reopen(_ folder: String, command: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw LiTSError(.notFound, path: folder, "no such folder")
        }
        _ = try requireMarker(folder, command: command)
        try FolderLocks.held.lock(folder, command: command)
        removeStaleTemporaries(in: folder)
    }

    /// Checks the marker, and with `write` (once the folder is locked, so no other run races us)
    /// writes it into a folder that has none.
    static func claim(_ out: String, command: String, write: Bool) throws {
        let markerPath = "\(out)/\(markerFile)"
        if let data = FileManager.default.contents(atPath: markerPath) {
            guard let marker = try? JSONDecoder().decode(Marker.self, from: data), marker.tool == "LiTSKit" else {
                throw LiTSError(.notWritable, path: markerPath, "is not a LiTSKit folder marker; refusing to write into \(out)")
            }
            guard marker.command == command else {
                throw LiTSError(.notWritable, path: out, "holds the output of `\(marker.command)`; choose another folder for `\(command)`")
            }
            return
        }
        let visible = ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).filter { !$0.hasPrefix(".") }
        if !visible.isEmpty {
            throw LiTSError(.notWritable, path: out, "folder is not empty and was not written by LiTSKit (no \(markerFile)); refusing to write into it")
        }
        guard write else { return }
        let formatter = ISO8601DateFormatter()
        let marker = Marker(command: command, version: LiTSKitVersion.current, created: formatter.string(from: Date()))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(marker), to: markerPath)
        FolderLocks.held.markMarked(out)
    }

    /// Hidden temporary files of runs that were killed (their process is gone), in `out` and the
    /// folders below it where outputs land.
    static func removeStaleTemporaries(in out: String, depth: Int = 2) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: out)) ?? [] {
            let path = "\(out)/\(name)"
            if TempFiles.isStale(name) { unlink(path); continue }
            var isDir: ObjCBool = false
            if depth > 0, !name.hasPrefix("."), fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                removeStaleTemporaries(in: path, depth: depth - 1)
            }
        }
    }
}

/// The output folders this process holds, each by an open `flock`ed `.litskit.lock` that stays
/// open until the process ends (the kernel releases it then, however the process ends).
final class FolderLocks: @unchecked Sendable {
    static let held = FolderLocks()

    private let mutex = NSLock()
    private var descriptors: [String: Int32] = [:]
    /// Folders `prepare` created in this process (resolved paths), for `removeIfUnused`.
    private var created = Set<String>()
    /// Folders whose marker this process wrote (resolved paths), for `removeIfUnused`.
    private var marked = Set<String>()

    func markMarked(_ folder: String) {
        mutex.lock()
        marked.insert(OutputFolder.resolved(folder))
        mutex.unlock()
    }

    func wasMarked(_ folder: String) -> Bool {
        mutex.lock()
        defer { mutex.unlock() }
        return marked.contains(OutputFolder.resolved(folder))
    }

    func markCreated(_ folder: String) {
        mutex.lock()
        created.insert(OutputFolder.resolved(folder))
        mutex.unlock()
    }

    func createdFolders() -> [String] {
        mutex.lock()
        defer { mutex.unlock() }
        return created.union(marked).sorted()
    }

    func wasCreated(_ folder: String) -> Bool {
        mutex.lock()
        defer { mutex.unlock() }
        return created.contains(OutputFolder.resolved(folder))
    }

    /// Releases the lock on `folder` (closing its descriptor), if this process holds it.
    func unlock(_ folder: String) {
        let key = OutputFolder.resolved(folder)
        mutex.lock()
        defer { mutex.unlock() }
        if let fd = descriptors.removeValue(forKey: key) { close(fd) }
        created.remove(key)
        marked.remove(key)
    }

    func lock(_ folder: String, command: String) throws {
        let key = OutputFolder.resolved(folder)
        mutex.lock()
        defer { mutex.unlock() }
        if descriptors[key] != nil { return }
        let path = "\(folder)/\(OutputFolder.lockFile)"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LiTSError.writeFailed(path, "cannot create the lock file", errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw LiTSError(.notWritable, path: folder, "another run is writing into this folder (\(holder.isEmpty ? "unknown process" : holder)); wait for it to finish or choose another folder")
        }
        let formatter = ISO8601DateFormatter()
        let text = "pid \(getpid()), `\(command)`, started \(formatter.string(from: Date()))\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptors[key] = fd
    }
}
