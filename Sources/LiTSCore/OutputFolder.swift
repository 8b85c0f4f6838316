import Foundation

/// Checks and creates output folders so that no input is ever overwritten.
public enum OutputFolder {
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

    /// Creates `out` if needed. Refuses an output inside (or equal to) any input folder or file, a folder
    /// that cannot be written, and a non-empty folder that is not marked as ours by `marker`.
    public static func prepare(_ out: String, inputs: [String], marker: String) throws {
        let outPath = resolved(out)
        for input in inputs {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDir) else { continue }
            let inPath = resolved(input)
            // A dataset folder must not receive outputs; a single input file only must not be replaced.
            let inside = isDir.boolValue
                ? outPath == inPath || outPath.hasPrefix(inPath.hasSuffix("/") ? inPath : inPath + "/")
                : outPath == inPath
            if inside {
                throw LiTSError(.invalidArgument, path: out, "output folder is inside the input \(input); choose a folder outside it")
            }
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDir) {
            guard isDir.boolValue else { throw LiTSError(.notWritable, path: out, "exists and is not a folder") }
            let contents = ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).filter { !$0.hasPrefix(".") }
            if !contents.isEmpty && !contents.contains(marker) {
                throw LiTSError(.notWritable, path: out, "folder is not empty and holds no \(marker) from an earlier run; refusing to write into it")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            } catch {
                throw LiTSError(.notWritable, path: out, "cannot create folder (\((error as NSError).localizedDescription))")
            }
        }
        guard access(out, W_OK) == 0 else {
            throw LiTSError(.notWritable, path: out, "folder is not writable")
        }
    }
}
