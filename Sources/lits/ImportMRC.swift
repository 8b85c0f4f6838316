import ArgumentParser
import Foundation
import LiTSCore

struct ImportMRC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-mrc",
        abstract: "Convert an MRC image (and label) pair, such as the PyPI sample of LiTS volume 117, into a LiTS case.",
        discussion: """
        MRC files from the sample carry no voxel size: the spacing given here is written into the \
        NIfTI header as an assumption. The sample's MRC axes are NIfTI's reversed (it was written by \
        mrcfile from a NIfTI-ordered array), hence --axis-order zyx. Its anatomy says LPS: the liver \
        lies at low i (patient's right), the spine at high j (posterior), the lungs at high k \
        (superior); --orientation sets the affine's signs accordingly.
        """)

    @Option(help: "MRC CT volume (mode 2 float32 HU).")
    var image: String

    @Option(help: "MRC label volume (values 0, 1, 2).")
    var labels: String?

    @Option(help: "Case number for the file names volume-N / segmentation-N.")
    var id: Int

    @Option(help: "Assumed isotropic voxel size in mm (the sample records none; about 1.5 mm for LiTS 117 downsampled 2x).")
    var spacing = 1.5

    @Option(help: "MRC axis order: zyx (MRC's fastest axis is NIfTI's k, as in the PyPI sample) or xyz.")
    var axisOrder = "zyx"

    @Option(help: "Orientation of the written affine: LPS (the sample's anatomy) or RAS.")
    var orientation = "LPS"

    @Option(name: .shortAndLong, help: "Output folder.")
    var out: String

    func validate() throws {
        guard spacing > 0, spacing.isFinite else { throw ValidationError("--spacing must be positive") }
        guard id >= 0 else { throw ValidationError("--id must be a non-negative integer") }
        guard MRC.AxisOrder(rawValue: axisOrder) != nil else { throw ValidationError("--axis-order must be zyx or xyz") }
        guard ["LPS", "RAS"].contains(orientation) else { throw ValidationError("--orientation must be LPS or RAS") }
    }

    func run() throws {
        try runReportingErrors {
            let order = MRC.AxisOrder(rawValue: axisOrder)!
            let (shape, hu) = try MRC.readNIfTIOrder(path: image, order: order)
            let sign = orientation == "LPS" ? -1.0 : 1.0
            let grid = Grid(shape: shape, spacing: [spacing, spacing, spacing],
                            affine: .diagonal(spacing: [sign * spacing, sign * spacing, spacing]))
            let ct = Volume(grid: grid, voxels: hu)
            try CaseLoader.checkFiniteCT(ct, path: image)
            var labelMap: LabelMap?
            if let labels {
                let (labelShape, values) = try MRC.readNIfTIOrder(path: labels, order: order)
                guard labelShape == shape else {
                    throw LiTSError(.mismatch, path: labels, "shape \(labelShape) does not match the image \(shape)")
                }
                labelMap = try CaseLoader.toLabels(Volume(grid: grid, voxels: values), path: labels)
            }
            try OutputFolder.prepare(out, inputs: [image] + (labels.map { [$0] } ?? []), marker: "volume-\(id).nii.gz")
            let volumePath = "\(out)/volume-\(id).nii.gz"
            let segPath = "\(out)/segmentation-\(id).nii.gz"
            for p in [volumePath, segPath] where FileManager.default.fileExists(atPath: p) {
                printWarning("replacing \(p) (written by an earlier import)")
            }
            try NIfTIWriter.write(ct, to: volumePath, description: "LiTSKit import; spacing assumed \(spacing) mm")
            if let labelMap {
                try NIfTIWriter.write(labelMap, to: segPath, description: "LiTSKit import; spacing assumed \(spacing) mm")
            }
            print("wrote \(volumePath)" + (labelMap == nil ? "" : " and \(segPath)"))
        }
    }
}
