import Foundation

/// A dataset's `dataset.json`: nnU-Net v2's (`channel_names`, `labels` name to value,
/// `file_ending`) or the Decathlon's (`modality`, `labels` value to name, `training`), read for
/// the layout and for the label mapping.
struct DatasetDescription {
    let path: String
    let json: [String: Any]

    /// nnU-Net v2 raw describes its channels; the Decathlon its modalities.
    var isNNUNet: Bool { json["channel_names"] != nil }

    /// `folder/dataset.json`, or nil when there is none.
    static func read(folder: String) throws -> DatasetDescription? {
        let path = folder.hasSuffix("/") ? folder + "dataset.json" : folder + "/dataset.json"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return DatasetDescription(path: path, json: try readObject(path))
    }

    /// A JSON file holding an object, or one line saying why not.
    static func readObject(_ path: String) throws -> [String: Any] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LiTSError(.unreadable, path: path, "cannot read the file")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let dict = object as? [String: Any] else {
            throw LiTSError(.corrupt, path: path, "not a JSON object")
        }
        return dict
    }

    /// The `labels` entry as a mapping to 0/1/2, or nil when there is none (values then must
    /// be 0/1/2). nnU-Net writes `{"liver": 1}`, the Decathlon `{"1": "liver"}`.
    func mapping() throws -> LabelMapping? {
        guard let labels = json["labels"] as? [String: Any] else { return nil }
        var named: [(name: String, value: Int)] = []
        for (key, value) in labels {
            if let name = value as? String, let v = Int(key) {
                named.append((name, v))
            } else if let v = value as? Int {
                named.append((key, v))
            } else {
                throw LiTSError(.unsupported, path: path, "label '\(key)' is \(value) (a region of several values); lits reads one value per label: give --labels")
            }
        }
        return LabelMapping(describing: named)
    }
}
