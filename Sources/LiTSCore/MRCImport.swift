import Foundation

/// `lits import-mrc`: an MRC image (and label) pair, such as the PyPI sample of LiTS volume 117,
/// written as a LiTS case `volume-N.nii.gz` (+ `segmentation-N.nii.gz`).
public struct MRCImport: Sendable {
    public enum Orientation: String, CaseIterable, Sendable { case LPS, RAS }

    public var image: String
    public var labels: String?
    public var id: Int
    /// Assumed isotropic voxel size in mm (MRC files of the sample record none).
    public var spacing: Double
    public var axisOrder: MRC.AxisOrder
    public var orientation: Orientation

    public init(image: String, labels: String?, id: Int, spacing: Double, axisOrder: MRC.AxisOrder, orientation: Orientation) {
        self.image = image
        self.labels = labels
        self.id = id
        self.spacing = spacing
        self.axisOrder = axisOrder
        self.orientation = orientation
    }

    /// Converts into `out`; returns the files written. An existing case file is never replaced.
    public func run(into out: String) throws -> [String] {
        let (shape, hu) = try MRC.readNIfTIOrder(path: image, order: axisOrder)
        let sign = orientation == .LPS ? -1.0 : 1.0
        let grid = Grid(shape: shape, spacing: [spacing, spacing, spacing],
                        affine: .diagonal(spacing: [sign * spacing, sign * spacing, spacing]))
        let ct = Volume(grid: grid, voxels: hu)
        try CaseLoader.checkFiniteCT(ct, path: image)
        var labelMap: LabelMap?
        if let labels {
            let (labelShape, values) = try MRC.readNIfTIOrder(path: labels, order: axisOrder)
            guard labelShape == shape else {
                throw LiTSError(.mismatch, path: labels, "shape \(labelShape) does not match the image \(shape)")
            }
            labelMap = try CaseLoader.toLabels(Volume(grid: grid, voxels: values), path: labels)
        }
        try OutputFolder.prepare(out, inputs: [image] + (labels.map { [$0] } ?? []), command: "lits import-mrc")
        let volumePath = "\(out)/volume-\(id).nii.gz"
        let segPath = "\(out)/segmentation-\(id).nii.gz"
        for p in [volumePath] + (labelMap == nil ? [] : [segPath]) where FileManager.default.fileExists(atPath: p) {
            throw LiTSError(.notWritable, path: p, "exists; refusing to replace it (remove it first, or import with another --id)")
        }
        try NIfTIWriter.write(ct, to: volumePath, description: "LiTSKit import; spacing assumed \(spacing) mm")
        if let labelMap {
            try NIfTIWriter.write(labelMap, to: segPath, description: "LiTSKit import; spacing assumed \(spacing) mm")
        }
        return labelMap == nil ? [volumePath] : [volumePath, segPath]
    }
}
