import ArgumentParser
import LiTSCommandLine
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

    @Option(help: "MRC axis order: zyx means MRC's fastest axis is NIfTI's k, as in the PyPI sample.")
    var axisOrder = MRC.AxisOrder.zyx

    @Option(help: "Orientation of the written affine (LPS: the sample's anatomy).")
    var orientation = MRCImport.Orientation.LPS

    @Option(name: .shortAndLong, help: "Output folder.")
    var out: String

    func validate() throws {
        guard spacing > 0, spacing.isFinite else { throw ValidationError("--spacing must be positive") }
        guard id >= 0 else { throw ValidationError("--id must be a non-negative integer") }
    }

    func run() throws {
        try runReportingErrors {
            let job = MRCImport(image: image, labels: labels, id: id, spacing: spacing, axisOrder: axisOrder, orientation: orientation)
            let written = try job.run(into: out)
            print("wrote " + written.joined(separator: " and "))
        }
    }
}
