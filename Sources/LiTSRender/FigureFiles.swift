import Foundation

/// A figure's files whatever `--figures` format wrote them: a rerun in another format, or a merge
/// of shards, must find, list and remove `NAME.png`, `NAME.svg` and `NAME.pdf` alike.
public enum FigureFiles {
    /// `NAME.png`, `NAME.svg` and `NAME.pdf` (`name` without its extension).
    public static func all(_ name: String) -> [String] {
        FigureFormat.allCases.map { "\(name).\($0.fileExtension)" }
    }

    /// The file of figure `name` in `dir` (relative to `dir`), in whichever format it is there,
    /// `preferred` first; nil when there is none.
    public static func existing(_ name: String, in dir: String, preferred: FigureFormat = .png) -> String? {
        let order = [preferred] + FigureFormat.allCases.filter { $0 != preferred }
        return order.map { "\(name).\($0.fileExtension)" }.first { FileManager.default.fileExists(atPath: "\(dir)/\($0)") }
    }

    /// Removes figure `name` of `dir` in every format.
    public static func remove(_ name: String, in dir: String) {
        for file in all(name) { unlink("\(dir)/\(file)") }
    }

    /// Whether `file` (a name in `figures/`) is a figure starting with `prefix`, in any format.
    public static func isFigure(_ file: String, prefix: String) -> Bool {
        file.hasPrefix(prefix) && FigureFormat.allCases.contains { file.hasSuffix(".\($0.fileExtension)") }
    }

    /// Removes every figure in `dir/figures` whose name starts with `prefix`, in every format.
    public static func removeAll(prefix: String, in dir: String) {
        let folder = "\(dir)/figures"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where isFigure(name, prefix: prefix) {
            try? FileManager.default.removeItem(atPath: "\(folder)/\(name)")
        }
    }
}
