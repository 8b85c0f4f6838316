import Foundation

/// Outputs appear whole or not at all: each is written to a hidden temporary file in the
/// destination folder (same file system, same extension), flushed to the disk (fsync), renamed
/// over the final name, and the folder is flushed too, so that after `write` returns the new
/// file survives a crash or power loss (a commit point can rely on it).
public enum AtomicFile {
    public static func write(to path: String, _ body: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let temp = "\(dir)/\(temporaryName(for: url.lastPathComponent))"
        TempFiles.inProgress.add(temp)
        defer { TempFiles.inProgress.remove(temp) }
        do {
            try body(temp)
            try sync(temp, naming: path)
            guard rename(temp, path) == 0 else {
                throw LiTSError.writeFailed(path, "cannot move the finished file into place", errno: errno)
            }
        } catch {
            unlink(temp)
            throw error
        }
        syncFolder(dir)
    }

    /// `.STEM.tmp-PID-RANDOM.EXT` (`TempFiles.isStale` recognises it), the full extension kept
    /// (.nii.gz) so libraries that look at it behave the same. A long stem is replaced by a hash
    /// of the name, so the temporary fits wherever the final name fits (255 bytes).
    static func temporaryName(for name: String) -> String {
        let ext0 = name.hasSuffix(".nii.gz") ? ".nii.gz"
            : name.lastIndex(of: ".").map { String(name[$0...]) } ?? ""
        let ext = ext0.utf8.count <= 16 && ext0.count < name.count ? ext0 : ""
        var stem = String(name.dropLast(ext.count))
        if stem.utf8.count > 64 { stem = hash(name) }
        return ".\(stem).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))\(ext)"
    }

    /// FNV-1a, 64 bits, as 16 hex digits: short and stable for a name.
    static func hash(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { temp in
            try data.withUnsafeBytes { try create(temp, holding: [$0], naming: path) }
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Creates `file` holding `parts` in order, with POSIX calls so that a failure says why (a
    /// full disk, a missing folder, no permission); errors name `name`, the file the user asked for.
    public static func create(_ file: String, holding parts: [UnsafeRawBufferPointer], naming name: String) throws {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw LiTSError.writeFailed(name, "cannot create file", errno: errno) }
        for part in parts {
            let code = writeAll(fd, part)
            if code != 0 {
                close(fd)
                throw LiTSError.writeFailed(name, "cannot write file", errno: code)
            }
        }
        guard close(fd) == 0 else { throw LiTSError.writeFailed(name, "cannot write file", errno: errno) }
    }

    /// Writes all of `bytes` to `fd`; returns 0, or the errno of the failure.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        var done = 0
        while done < bytes.count {
            let r = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if r < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if r == 0 { return EIO }
            done += r
        }
        return 0
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
    public static func sync(_ file: String, naming name: String) throws {
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else {
            throw LiTSError.writeFailed(name, "cannot reopen the written file to flush it", errno: errno)
        }
        defer { close(fd) }
        // EINVAL: a file system that cannot sync (nothing to wait for).
        guard fsync(fd) == 0 || errno == EINVAL else {
            throw LiTSError.writeFailed(name, "cannot flush the file to the disk", errno: errno)
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
