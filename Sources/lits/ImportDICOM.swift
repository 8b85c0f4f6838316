import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSCore
import LiTSDICOM

struct ImportDICOM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-dicom",
        abstract: "Convert a DICOM CT series (and mask series, such as 3D-IRCADb's) into a LiTS case.",
        discussion: CommandHelp.importDICOM)

    @OptionGroup var args: ImportDICOMArguments

    func run() throws {
        try runReportingErrors {
            let job = DICOMImport(series: args.seriesDir, masks: try args.parsedMasks(), id: args.id)
            let written = try job.run(into: args.out)
            print("wrote " + written.joined(separator: " and "))
        }
    }
}
