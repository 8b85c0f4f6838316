import Foundation

/// Outputs appear whole or not at all: each is written to a hidden temporary file in the
/// destination folder (same file system, same extension), flushed to the disk (fsync), renamed
/// over the final name, and the folder is flushed too, so that after `write` returns the new
/// file survives a crash or power loss (a commit point can rely on it).
public enum AtomicFile {
    public static func write(to path: String, _ body: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        // Keep the full extension (.nii.gz) so libraries that look at it behave the same.
        let ext = name.hasSuffix(".nii.gz") ? ".nii.gz" : (url.pathExtension.isEmpty ? "" : "." + url.pathExtension)
        let stem = String(name.dropLast(ext.count))
        let temp = "\(dir)/.\(stem).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))\(ext)"
        TempFiles.inProgress.add(temp)
        defer { TempFiles.inProgress.remove(temp) }
        do {
            try body(temp)
            try sync(temp, naming: path)
            guard rename(temp, path) == 0 else {
                throw LiTSError(.notWritable, path: path, "cannot move the finished file into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temp)
            throw error
        }
        syncFolder(dir)
    }

    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { temp in
            guard FileManager.default.createFile(atPath: temp, contents: data) else {
                throw LiTSError(.notWritable, path: path, "cannot write file (folder missing or not writable)")
            }
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// A copy of the file `source` at `path`, whole or not at all (merges gather parts this way).
    public static func copy(_ source: String, to path: String) throws {
        guard let data = FileManager.default.contents(atPath: source) else {
            throw LiTSError(.unreadable, path: source, "cannot read the file to copy it")
        }
        try write(data, to: path)
    }

    /// Flushes a written file to the disk; a failure (EIO, ENOSPC on delayed allocation) means
    /// its bytes may not be there and is an error naming `name`.
    static func sync(_ file: String, naming name: String) throws {
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else {
            throw LiTSError(.notWritable, path: name, "cannot reopen the written file to flush it: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        // EINVAL: a file system that cannot sync (nothing to wait for).
        guard fsync(fd) == 0 || errno == EINVAL else {
            throw LiTSError(.notWritable, path: name, "cannot flush the file to the disk: \(String(cString: strerror(errno)))")
        }
    }

    /// Flushes a folder's entries (the rename) to the disk; best effort, as some file systems
    /// cannot open or sync folders.
    public static func syncFolder(_ dir: String) {
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
