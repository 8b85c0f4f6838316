import Foundation

/// A MONAI (Decathlon-style) datalist given as a file: `{"training": [{"image": ..., "label":
/// ...}], "validation": [...], "test": [...]}`, test entries also as plain paths; paths relative
/// to the file. Ids come from the image file names (`Dataset.caseID(fromFileName:)`); a
/// `labels` entry, as the Decathlon's `dataset.json` has, maps the values.
enum DatalistLayout {
    static let sections = ["training", "validation", "test"]

    static func scan(_ file: String) throws -> CaseTable {
        let json = try DatasetDescription.readObject(file)
        guard sections.contains(where: { json[$0] is [Any] }) else {
            throw LiTSError(.invalidArgument, path: file, "not a datalist (expected {\"training\": [{\"image\": ..., \"label\": ...}], \"test\": [...]})")
        }
        let base = file.contains("/") ? String(file[..<file.lastIndex(of: "/")!]) : "."
        var table = CaseTable(root: file)
        table.mapping = try DatasetDescription(path: file, json: json).mapping()
        for section in sections {
            for (n, entry) in (json[section] as? [Any] ?? []).enumerated() {
                let place = "\(section)[\(n)]"
                let fields = entry as? [String: Any]
                guard let image = (entry as? String) ?? (fields?["image"] as? String) else {
                    throw LiTSError(.unsupported, path: file, "\(place): no image path (lits reads one CT image per case)")
                }
                let imagePath = try resolve(image, base: base, file: file, place: place)
                let id = Dataset.caseID(fromFileName: String(image.split(separator: "/").last ?? ""))
                try table.addImage(id, imagePath, layout: .datalist)
                if let label = fields?["label"] as? String {
                    try table.addLabel(id, try resolve(label, base: base, file: file, place: place))
                }
            }
        }
        return table
    }

    /// A path of the datalist, relative to its folder unless absolute; it must be a file.
    static func resolve(_ path: String, base: String, file: String, place: String) throws -> String {
        let full = path.hasPrefix("/") ? path : base + "/" + (path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
        guard FileManager.default.fileExists(atPath: full) else {
            throw LiTSError(.notFound, path: file, "\(place): \(path): no such file")
        }
        return full
    }
}
