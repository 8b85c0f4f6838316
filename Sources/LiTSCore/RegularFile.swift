import Foundation

/// Input files must be regular files: opening a FIFO named `volume-1.nii` would block forever,
/// and a device or a socket is no image.
public enum RegularFile {
    /// Throws unless `path` (symbolic links followed) is a regular file, naming what it is instead.
    public static func require(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let code = errno
            var link = stat()
            if code == ENOENT, lstat(path, &link) == 0 {
                throw LiTSError(.notFound, path: path, "symbolic link to a file that does not exist")
            }
            if code == ENOENT || code == ENOTDIR { throw LiTSError(.notFound, path: path, "no such file") }
            throw LiTSError(.unreadable, path: path, "cannot read: \(String(cString: strerror(code)))")
        }
        guard let kind = kind(st.st_mode) else { return }
        throw LiTSError(.unsupported, path: path, "is \(kind), not a regular file; refusing to read it")
    }

    /// Throws only for a path that exists and is not a regular file (a missing file is left to
    /// the caller's own message).
    public static func refuseSpecial(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0, let kind = kind(st.st_mode) else { return }
        throw LiTSError(.unsupported, path: path, "is \(kind), not a regular file; refusing to read it")
    }

    /// What a file that is not regular is, or nil for a regular file.
    static func kind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a named pipe (FIFO)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }
}
