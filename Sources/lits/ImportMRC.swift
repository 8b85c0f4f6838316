import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSCore

struct ImportMRC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-mrc",
        abstract: "Convert an MRC image (and label) pair, such as the PyPI sample of LiTS volume 117, into a LiTS case.",
        discussion: CommandHelp.importMRC)

    @OptionGroup var args: ImportMRCArguments

    func run() throws {
        try runReportingErrors {
            let job = MRCImport(image: args.image, labels: args.labels, id: args.id, spacing: args.spacing, axisOrder: args.axisOrder, orientation: args.orientation)
            let written = try job.run(into: args.out)
            print("wrote " + written.joined(separator: " and "))
        }
    }
}
