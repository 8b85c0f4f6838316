import Foundation

/// Outputs appear whole or not at all: each is written to a hidden temporary file in the
/// destination folder (same file system, same extension) and renamed over the final name.
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
            guard rename(temp, path) == 0 else {
                throw LiTSError(.notWritable, path: path, "cannot move the finished file into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temp)
            throw error
        }
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
}
