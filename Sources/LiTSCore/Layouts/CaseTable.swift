import Foundation

/// What a layout found under one input, before it becomes cases: images and label files by case
/// id. Every layout fills one, so pairing, duplicates and orphans are decided in one place.
struct CaseTable {
    struct Image {
        var path: String
        var layout: Case.Layout
        /// For a training image, the label file it should have ("labelsTr/liver_3.nii.gz"):
        /// without it the case is read without labels, and the user hears why.
        var expectedLabel: String?
        var tumorMasks: [String] = []
    }

    let root: String
    var images: [String: Image] = [:]
    var labels: [String: String] = [:]
    var skipped: [SkippedFile] = []
    /// The dataset's own label description (`dataset.json`), or nil for 0/1/2.
    var mapping: LabelMapping?

    init(root: String) { self.root = root }

    mutating func addImage(_ id: String, _ path: String, layout: Case.Layout, expectedLabel: String? = nil, tumorMasks: [String] = []) throws {
        if let other = images[id] {
            throw LiTSError(.invalidArgument, path: root, "case \(id) appears twice: \(other.path) and \(path)")
        }
        images[id] = Image(path: path, layout: layout, expectedLabel: expectedLabel, tumorMasks: tumorMasks)
    }

    mutating func addLabel(_ id: String, _ path: String) throws {
        if let other = labels[id] {
            throw LiTSError(.invalidArgument, path: root, "case \(id) appears twice: \(other) and \(path)")
        }
        labels[id] = path
    }

    /// What was skipped, with the training images that have no label, sorted by path.
    func allSkipped() -> [SkippedFile] {
        var all = skipped
        for (id, image) in images where labels[id] == nil {
            guard let expected = image.expectedLabel else { continue }
            all.append(SkippedFile(path: image.path, reason: "\(image.layout.rawValue) training image without its label \(expected); read as a case without labels"))
        }
        return all.sorted { $0.path < $1.path }
    }

    /// The cases, in id order; refuses a label file without its image and an input without cases.
    func cases() throws -> [Case] {
        if let id = Set(labels.keys).subtracting(images.keys).sorted().first {
            throw LiTSError(.invalidArgument, path: labels[id], "segmentation without a volume (expected a volume for case \(id))")
        }
        guard !images.isEmpty else {
            throw LiTSError(.noCases, path: root, "no cases found (expected volume-N.nii[.gz] + segmentation-N.nii[.gz], test-volume-N.nii, or imagesTr/liver_N.nii.gz + labelsTr/liver_N.nii.gz, CASE/ct.nii.gz, an nnU-Net dataset.json or a datalist .json)")
        }
        let overridden = CommandLineLabels.truth ?? mapping
        return images.map { id, image in
            let label = labels[id]
            return Case(id: id, volumePath: image.path, segmentationPath: label, layout: image.layout,
                        tumorMaskPaths: label == nil ? [] : image.tumorMasks, labelMapping: label == nil ? nil : overridden)
        }.sorted(by: Case.precedes)
    }
}
