import Foundation
import LiTSCore

/// `lits import-dicom`: a CT series (and mask series, such as 3D-IRCADb's `MASKS_DICOM/liver` and
/// `livertumor1`...) written as a LiTS case `volume-N.nii.gz` (+ `segmentation-N.nii.gz`).
public struct DICOMImport: Sendable {
    /// What a mask series marks in the LiTS label map.
    public enum Structure: String, CaseIterable, Sendable { case liver, tumor }

    public struct Mask: Sendable {
        public var structure: Structure
        public var folder: String
        public init(structure: Structure, folder: String) {
            self.structure = structure
            self.folder = folder
        }
    }

    public var series: String
    public var masks: [Mask]
    public var id: Int

    public init(series: String, masks: [Mask], id: Int) {
        self.series = series
        self.masks = masks
        self.id = id
    }

    /// Converts into `out`; returns the files written. An existing case file is never replaced.
    public func run(into out: String) throws -> [String] {
        let ct = try DICOMSeries(folder: series)
        let hu = ct.hounsfield()
        try CaseLoader.checkFiniteCT(hu, path: series)
        let labels = try masks.isEmpty ? nil : labelMap(on: ct)
        try OutputFolder.prepare(out, inputs: [series] + masks.map(\.folder), command: "lits import-dicom")
        let volumePath = "\(out)/volume-\(id).nii.gz"
        let segPath = "\(out)/segmentation-\(id).nii.gz"
        for p in [volumePath] + (labels == nil ? [] : [segPath]) where FileManager.default.fileExists(atPath: p) {
            throw LiTSError(.notWritable, path: p, "exists; refusing to replace it (remove it first, or import with another --id)")
        }
        let description = "LiTSKit import-dicom"
        try NIfTIWriter.write(hu, to: volumePath, description: description)
        guard let labels else { return [volumePath] }
        do {
            try NIfTIWriter.write(labels, to: segPath, description: description)
        } catch {
            // A case is written whole or not at all.
            try? FileManager.default.removeItem(atPath: volumePath)
            throw error
        }
        return [volumePath, segPath]
    }

    /// The LiTS label map of the masks: 1 inside a liver mask, 2 inside a tumour mask (LiTS counts
    /// tumour as liver too, so a tumour voxel is 2 whether or not a liver mask covers it).
    func labelMap(on ct: DICOMSeries) throws -> LabelMap {
        var labels = LabelMap(grid: ct.grid, repeating: Label.background)
        for structure in [Structure.liver, .tumor] {
            for m in masks where m.structure == structure {
                let mask = try DICOMSeries(folder: m.folder)
                try Self.checkSameGrid(mask, as: ct)
                let value = structure == .liver ? Label.liver : Label.tumor
                for (n, inside) in mask.mask().voxels.enumerated() where inside { labels.voxels[n] = value }
            }
        }
        return labels
    }

    /// A mask must lie on the CT's grid (the same shape and affine within 1e-3): it is not resampled.
    static func checkSameGrid(_ mask: DICOMSeries, as ct: DICOMSeries) throws {
        guard mask.grid.shape == ct.grid.shape else {
            throw LiTSError(.mismatch, path: mask.folder, "mask series on another grid: shape \(mask.grid.shape), the CT series \(ct.folder) has \(ct.grid.shape)")
        }
        guard mask.grid.matches(ct.grid) else {
            throw LiTSError(.mismatch, path: mask.folder, "mask series on another grid: its slices lie elsewhere than the CT series \(ct.folder)'s (Image Position or Orientation (Patient) or spacing differ)")
        }
    }
}
