import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSCore
import LiTSDICOM

struct ImportDICOM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-dicom",
        abstract: "Convert a DICOM CT series (and mask series, such as 3D-IRCADb's) into a LiTS case.",
        discussion: """
        SERIES_DIR holds one series of single-frame slices (read by GDCM, any transfer syntax it \
        decodes). Slices are sorted by position along the slice normal, stored values go through \
        Rescale Slope and Intercept into HU (float32), and the affine comes from Image Position and \
        Orientation (Patient), turned from DICOM's LPS into NIfTI's RAS as dcm2niix and SimpleITK do. \
        Each --mask NAME=DIR is a mask series on the same grid (any non-zero voxel is inside): \
        liver masks give label 1, tumor masks label 2 (several of each allowed, e.g. 3D-IRCADb's \
        --mask liver=MASKS_DICOM/liver --mask tumor=MASKS_DICOM/livertumor1 --mask \
        tumor=MASKS_DICOM/livertumor2). Refused: a folder with two series, missing or duplicated \
        slices (spacing along the normal uneven by more than 1%), pixel data GDCM cannot decode, a \
        mask series on another grid. Existing volume-N / segmentation-N files are never replaced.
        """)

    @Argument(help: "Folder of the CT series.")
    var seriesDir: String

    @Option(name: .customLong("mask"), help: ArgumentHelp("A mask series: liver=DIR or tumor=DIR (repeatable).", valueName: "name=dir"))
    var masks: [String] = []

    @Option(help: "Case number for the file names volume-N / segmentation-N.")
    var id: Int

    @Option(name: .shortAndLong, help: "Output folder.")
    var out: String

    func validate() throws {
        guard id >= 0 else { throw ValidationError("--id must be a non-negative integer") }
        _ = try parsedMasks()
    }

    /// `liver=DIR` / `tumor=DIR` pairs.
    func parsedMasks() throws -> [DICOMImport.Mask] {
        try masks.map { text in
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty, let structure = DICOMImport.Structure(rawValue: parts[0]) else {
                throw ValidationError("--mask \(text): expected liver=DIR or tumor=DIR")
            }
            return DICOMImport.Mask(structure: structure, folder: parts[1])
        }
    }

    func run() throws {
        try runReportingErrors {
            let job = DICOMImport(series: seriesDir, masks: try parsedMasks(), id: id)
            let written = try job.run(into: out)
            print("wrote " + written.joined(separator: " and "))
        }
    }
}
