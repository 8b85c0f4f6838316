import Foundation

/// Cases found by their files' names anywhere below a folder: LiTS (`volume-N` +
/// `segmentation-N`, in any nested folders, as the common Kaggle copy spreads them;
/// `test-volume-N` without labels), the Decathlon's Task03 (`imagesTr/liver_N` +
/// `labelsTr/liver_N`; `imagesTs` without labels; its `dataset.json` `labels`, where present,
/// map the values) and case folders (`CASE/ct.nii[.gz]`, `CaseFolderLayout`).
enum NamedFilesLayout {
    static func scan(_ root: String) throws -> CaseTable {
        var table = CaseTable(root: root)
        table.mapping = try DatasetDescription.read(folder: root)?.mapping()
        for rel in try relativeFiles(under: root, skipped: &table.skipped) {
            // Plain string splitting: NSString's path helpers trap on some inputs on Linux.
            let parts = rel.split(separator: "/").map(String.init)
            guard let name = parts.last else { continue }
            if name.hasPrefix(".") { continue }  // hidden files, macOS "._" resource forks, our temp files
            let path = root.hasSuffix("/") ? root + rel : root + "/" + rel
            let parent = parts.count > 1 ? parts[parts.count - 2] : ""
            if let n = Dataset.number(in: name, prefix: "volume-") ?? Dataset.number(in: name, prefix: "test-volume-") {
                try table.addImage(n, path, layout: .lits)
            } else if let n = Dataset.number(in: name, prefix: "segmentation-") {
                try table.addLabel(n, path)
            } else if let n = Dataset.number(in: name, prefix: "liver_") {
                if parent == "imagesTr" || parent == "imagesTs" {
                    try table.addImage(n, path, layout: .msd, expectedLabel: parent == "imagesTr" ? "labelsTr/\(name)" : nil)
                } else if parent == "labelsTr" {
                    try table.addLabel(n, path)
                } else {
                    table.skipped.append(SkippedFile(path: path, reason: "named like an MSD case but not in imagesTr/, imagesTs/ or labelsTr/; not read"))
                }
            } else if CaseFolderLayout.isCT(name) {
                let folder = String(path.dropLast(name.count + 1))
                let id = parts.count > 1 ? parent : URL(fileURLWithPath: root).standardizedFileURL.lastPathComponent
                try CaseFolderLayout.add(folder: folder, id: id, ct: path, to: &table)
            }
        }
        return table
    }

    /// Every file below `root`, as paths relative to it, following symbolic links to folders
    /// (a dataset is often a folder of links) but entering each real folder once, so a link
    /// loop ends. Hidden entries are left out; dangling links and folders named like case files
    /// are added to `skipped`.
    static func relativeFiles(under root: String, skipped: inout [SkippedFile]) throws -> [String] {
        var visited = Set<[UInt64]>()
        var files: [String] = []
        func identity(_ path: String) -> [UInt64]? {
            var st = stat()
            guard stat(path, &st) == 0 else { return nil }
            return [UInt64(st.st_dev), UInt64(st.st_ino)]
        }
        func walk(_ dir: String, _ prefix: String) throws {
            guard let id = identity(dir), visited.insert(id).inserted else { return }
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: dir) } catch {
                throw LiTSError(.unreadable, path: dir, "cannot list folder")
            }
            for name in names.sorted() where !name.hasPrefix(".") {
                let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                let rel = prefix.isEmpty ? name : prefix + "/" + name
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                    skipped.append(SkippedFile(path: path, reason: "symbolic link to something that does not exist; not read"))
                    continue
                }
                if isDir.boolValue {
                    if Dataset.isCaseFileName(name) {
                        skipped.append(SkippedFile(path: path, reason: "a folder named like a case file; not read as a case"))
                    }
                    try walk(path, rel)
                } else {
                    files.append(rel)
                }
            }
        }
        try walk(root, "")
        return files
    }
}
