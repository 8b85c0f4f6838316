import Foundation

/// A folder per case: `CASE/ct.nii[.gz]` (the id is the folder's name) with its labels in one of
///  - `CASE/liver.nii[.gz]`: a liver mask (0/1) or a LiTS label map (0/1/2);
///  - `CASE/segmentations/liver.nii[.gz]`: TotalSegmentator's per-structure binary masks;
///  - `CASE/segmentations.nii[.gz]`: TotalSegmentator's multilabel map (`--ml`; liver = 5,
///    so it needs `--labels liver=5,background=rest`).
/// Beside a liver mask, binary tumour masks named `liver_tumor` (TotalSegmentator's
/// `liver_vessels` task), `tumor` or `tumour` (.nii or .nii.gz) set their voxels to label 2.
/// No label file: a case without labels. Two of these forms in one folder are refused.
enum CaseFolderLayout {
    static let tumorMaskNames = ["liver_tumor", "liver_tumour", "tumor", "tumour"]

    static func isCT(_ name: String) -> Bool { name == "ct.nii.gz" || name == "ct.nii" }

    static func add(folder: String, id: String, ct: String, to table: inout CaseTable) throws {
        let forms = [(folder, "liver"), (folder + "/segmentations", "liver"), (folder, "segmentations")]
            .compactMap { dir, stem in nifti(stem, in: dir).map { (dir, $0) } }
        guard forms.count <= 1 else {
            throw LiTSError(.invalidArgument, path: folder, "case folder holds \(forms.map { $0.1 }.joined(separator: " and ")); keep one label form")
        }
        var masks: [String] = []
        if let (dir, label) = forms.first {
            if !label.hasSuffix("/segmentations.nii.gz") && !label.hasSuffix("/segmentations.nii") {
                masks = tumorMaskNames.compactMap { nifti($0, in: dir) }
            }
            try table.addLabel(id, label)
        }
        try table.addImage(id, ct, layout: .caseFolder, tumorMasks: masks)
    }

    /// `dir/stem.nii.gz` or `dir/stem.nii`, whichever is a file.
    static func nifti(_ stem: String, in dir: String) -> String? {
        ["nii.gz", "nii"].map { "\(dir)/\(stem).\($0)" }.first {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isDir) && !isDir.boolValue
        }
    }
}
