import Foundation

/// An nnU-Net v2 raw dataset: `dataset.json` with `channel_names`, `labels` and `file_ending`;
/// `imagesTr/{case}_0000{ending}` with `labelsTr/{case}{ending}`, and `imagesTs/{case}_0000{ending}`
/// without labels. The case id is nnU-Net's case identifier (`liver_003`). lits reads CT, one
/// channel: a dataset that declares more, or a file of another channel, is refused, not ignored.
enum NNUNetLayout {
    static func scan(_ root: String, description: DatasetDescription) throws -> CaseTable {
        let channels = description.json["channel_names"] as? [String: Any] ?? [:]
        guard channels.count == 1, channels["0"] != nil else {
            let list = channels.keys.sorted().map { "\($0): \(channels[$0]!)" }.joined(separator: ", ")
            throw LiTSError(.unsupported, path: description.path, "channel_names declares \(channels.count) channels (\(list)); lits reads one CT channel, 0")
        }
        guard let ending = description.json["file_ending"] as? String, ending == ".nii.gz" || ending == ".nii" else {
            throw LiTSError(.unsupported, path: description.path, "file_ending \(description.json["file_ending"] ?? "missing"); lits reads NIfTI (.nii.gz or .nii)")
        }
        var table = CaseTable(root: root)
        table.mapping = try description.mapping()
        for folder in ["imagesTr", "imagesTs"] {
            for (name, path) in try files(in: root + "/" + folder, ending: ending) {
                let stem = String(name.dropLast(ending.count))
                guard let cut = stem.lastIndex(of: "_"), stem[stem.index(after: cut)...].count == 4,
                      stem[stem.index(after: cut)...].allSatisfy(\.isNumber) else {
                    table.skipped.append(SkippedFile(path: path, reason: "not named {case}_0000\(ending) as nnU-Net names images; not read"))
                    continue
                }
                let id = String(stem[..<cut]), channel = stem[stem.index(after: cut)...]
                guard channel == "0000" else {
                    throw LiTSError(.unsupported, path: path, "channel \(channel) is not in \(description.path)'s channel_names (lits reads one CT channel, 0000)")
                }
                try table.addImage(id, path, layout: .nnunet, expectedLabel: folder == "imagesTr" ? "labelsTr/\(id)\(ending)" : nil)
            }
        }
        for (name, path) in try files(in: root + "/labelsTr", ending: ending) {
            try table.addLabel(String(name.dropLast(ending.count)), path)
        }
        return table
    }

    /// The non-hidden files in `dir` whose names end in `ending`, as (name, path); none when
    /// the folder is missing (a dataset without a test set).
    static func files(in dir: String, ending: String) throws -> [(String, String)] {
        guard FileManager.default.fileExists(atPath: dir) else { return [] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: dir) } catch {
            throw LiTSError(.unreadable, path: dir, "cannot list folder")
        }
        // ".nii" also ends ".nii.gz"'s stem check below; match the whole ending only.
        return names.sorted().filter { !$0.hasPrefix(".") && $0.hasSuffix(ending) && !(ending == ".nii" && $0.hasSuffix(".nii.gz")) }
            .map { ($0, dir + "/" + $0) }
    }
}
