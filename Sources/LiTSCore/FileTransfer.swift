import CNIfTI
import Foundation

/// A user's file placed into an output folder with its bytes kept (`lits export nnunet`): hard
/// linked where the file system allows it (no second copy of a dataset), else copied, or gzipped
/// when only the compression must change (`.nii` to `.nii.gz`). Each appears whole or not at all,
/// under a temporary name renamed into place, as `AtomicFile` writes.
public enum FileTransfer: String, Codable, Sendable {
    case linked, copied, compressed

    /// `source` at `path` with the same bytes: linked, or copied where it cannot be (another
    /// file system, links not supported). Returns which.
    public static func place(_ source: String, at path: String) throws -> FileTransfer {
        if try link(source, at: path) { return .linked }
        try AtomicFile.copy(source, to: path)
        return .copied
    }

    /// A hard link to `source` at `path` (replacing what is there); false where the file system
    /// cannot link the two (EXDEV, EPERM, EMLINK, ENOTSUP), for the caller to copy instead.
    static func link(_ source: String, at path: String) throws -> Bool {
        let url = URL(fileURLWithPath: path)
        let temp = "\(url.deletingLastPathComponent().path)/\(AtomicFile.temporaryName(for: url.lastPathComponent))"
        TempFiles.inProgress.add(temp)
        defer { TempFiles.inProgress.remove(temp) }
        guard Foundation.link(source, temp) == 0 else {
            let code = errno
            if [EXDEV, EPERM, EMLINK, ENOTSUP, EOPNOTSUPP].contains(code) { return false }
            if code == ENOENT || code == EACCES { throw LiTSError(.unreadable, path: source, "cannot link the file into \(path): \(String(cString: strerror(code)))") }
            throw LiTSError.writeFailed(path, "cannot link \(source) here", errno: code)
        }
        guard rename(temp, path) == 0 else {
            let code = errno
            unlink(temp)
            throw LiTSError.writeFailed(path, "cannot move the link into place", errno: code)
        }
        AtomicFile.syncFolder(url.deletingLastPathComponent().path)
        return true
    }

    /// The bytes of `source` gzipped at `path`: a `.nii` becomes the `.nii.gz` it would be,
    /// header and voxels unchanged.
    public static func gzip(_ source: String, to path: String) throws {
        try RegularFile.refuseSpecial(source)
        guard let data = FileManager.default.contents(atPath: source) else {
            throw LiTSError(.unreadable, path: source, "cannot read the file to compress it")
        }
        try AtomicFile.write(to: path) { temp in
            let done = try data.withUnsafeBytes { try GzipWhole.compress([$0], to: temp, finalPath: path) }
            if done { return }
            // zlib through znz where libdeflate is missing.
            errno = 0
            guard let fp = znzopen(temp, "wb", 1) else { throw LiTSError.writeFailed(path, "cannot create file", errno: errno) }
            var f: znzFile? = fp
            let wrote = data.withUnsafeBytes { znzwrite($0.baseAddress, 1, $0.count, fp) }
            let code = wrote == data.count ? 0 : errno
            let closed = Xznzclose(&f)
            guard wrote == data.count, closed == 0 else {
                throw LiTSError.writeFailed(path, "cannot write file", errno: code != 0 ? code : errno)
            }
        }
    }
}
